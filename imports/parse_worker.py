"""A statement parser's own process (`python -m imports.parse_worker`, started by
`imports.parsers`): it imports the parser and nothing of the app (about 0.7 s, against
3-4 s for the app and 17 s on a loaded machine for a re-import of the parent's main module,
as multiprocessing and anyio's worker processes do), then reads jobs until its stdin closes.

Messages are frames on stdin and stdout: a 4-byte big-endian length, then a pickle. A job is
`(operation, keyword arguments)`; the answer is any number of `("page", done, pages)` while a
PDF is read, then `("done", result)`, `("refused", StatementError)` or `("failed", text)`.
The password travels in the job and lives only in this process's memory for the call."""

import pickle
import struct
import sys
import traceback
from typing import IO, Any

from imports.statements.model import StatementError
from imports.statements.parser import parse_statement
from imports.statements.pdf import decrypted_and_pages

HEADER = struct.Struct(">I")
OPERATIONS = {"parse": parse_statement, "decrypt": decrypted_and_pages}


def send(out: IO[bytes], message: tuple[Any, ...]) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(HEADER.pack(len(body)) + body)
    out.flush()


def receive(source: IO[bytes]) -> Any:
    head = source.read(HEADER.size)
    if len(head) < HEADER.size:
        return None  # the pool closed our stdin: stop
    (size,) = HEADER.unpack(head)
    return pickle.loads(source.read(size))  # noqa: S301 (our own parent's frames)


def serve(source: IO[bytes], out: IO[bytes]) -> None:
    send(out, ("ready",))
    while (job := receive(source)) is not None:
        operation, kwargs = job

        def page(done: int, pages: int) -> None:
            send(out, ("page", done, pages))

        if operation == "parse":
            kwargs["on_page"] = page
        try:
            result = OPERATIONS[operation](**kwargs)
        except StatementError as exc:
            send(out, ("refused", exc))
        except Exception:  # a parser bug on odd input: the parent answers the file's 422
            send(out, ("failed", traceback.format_exc()))
        else:
            send(out, ("done", result))
        del job, kwargs  # the file and its password are not kept between jobs


def main() -> None:
    source, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not break a frame
    serve(source, out)


if __name__ == "__main__":
    main()
