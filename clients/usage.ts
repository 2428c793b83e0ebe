/**
 * What a frontend writes against the generated TypeScript clients, checked by `tsc --noEmit`
 * under `strict` (tests/test_clients.py, run by `make test`, generates both clients first).
 *
 * - The owner's guide's three request bodies, verbatim (STRUCTURE.md, "API Usage Examples":
 *   signup, create debt, make payment), as the request types of both generators, and the
 *   answers' fields read with the types a frontend relies on.
 * - The edit form of every resource with a PUT: the object as GET answered it, spread into the
 *   body (`{ ...debt }`), unchanged and with an edit, for both generators.
 * - Errors with `throwOnError`: the thrown value is the answer's body, mapped to form fields.
 * - Delta sync into a local copy (docs/sync.md), typed by `resource`, and an edit of the
 *   version held (`If-Match`, 412 when another device changed it first).
 */
import {
  type ConflictOut,
  createDebt,
  createPayment,
  type DebtCreate,
  type DebtOut,
  type ErrorOut,
  type ExpenseOut,
  getAccount,
  getBudget,
  getDebt,
  getExpense,
  getGoal,
  getIncome,
  getMe,
  getRecurring,
  getRule,
  getSyncChanges,
  listImportRows,
  listPayments,
  type PagePaymentOut,
  type PaymentCreate,
  type PaymentOut,
  signup,
  type SignupRequest,
  type SyncPage,
  type TokenPair,
  updateAccount,
  updateBudget,
  updateDebt,
  updateExpense,
  updateGoal,
  updateImportRow,
  updateIncome,
  updateMe,
  updateRecurring,
  updateRule,
  type UserOut,
  type ValidationErrorOut,
} from "./generated/hey-api";
import type { operations } from "./generated/openapi-typescript/schema";

// openapi-typescript: the JSON body an operation takes and the JSON it answers with `status`.
type Body<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : never;
type Answer<Op extends keyof operations, Status extends number> = operations[Op] extends {
  responses: { [S in Status]: { content: { "application/json": infer A } } };
}
  ? A
  : never;

// ---------------------------------------------------------------- the guide's bodies

export const signupBody = {
  email: "user@example.com",
  password: "SecurePass123!",
  full_name: "John Doe",
  phone: "+91 98765 43210",
} satisfies SignupRequest & Body<"signup">;

export const createDebtBody = {
  name: "Home Loan",
  debt_type: "home_loan",
  principal: 3500000,
  interest_rate: 6.5,
  tenure_months: 240,
  monthly_emi: 42500,
  bank_name: "HDFC",
  start_date: "2024-01-01T00:00:00Z",
} satisfies DebtCreate & Body<"createDebt">;

// payment_type and payment_method have defaults on the server: the body may leave them out.
export const makePaymentBody = {
  debt_id: "123abc",
  amount: 42500,
  payment_method: "net_banking",
  payment_date: "2024-01-05T00:00:00Z",
} satisfies PaymentCreate & Body<"createPayment">;

// ---------------------------------------------------------------- @hey-api/openapi-ts

/** The guide's flow through the generated SDK (Fetch client): signup, debt, payment, list. */
export async function guideFlow(baseUrl: string): Promise<string> {
  const { data: tokens } = await signup({ baseUrl, body: signupBody, throwOnError: true });
  const headers = { Authorization: `Bearer ${tokens.access_token}` };
  const { data: debt } = await createDebt({
    baseUrl,
    headers,
    body: createDebtBody,
    throwOnError: true,
  });
  const { data: payment } = await createPayment({
    baseUrl,
    headers,
    body: { ...makePaymentBody, debt_id: debt.id },
    throwOnError: true,
  });
  const { data: page } = await listPayments({ baseUrl, headers, throwOnError: true });
  return [session(tokens), debtLine(debt), paymentLine(payment), listLine(page)].join("\n");
}

function session(tokens: TokenPair): string {
  const tokenType: string = tokens.token_type;
  return `${tokens.user.email} (${tokens.user.id}): ${tokenType} ${tokens.access_token}`;
}

function debtLine(debt: DebtOut): string {
  const paymentsCount: number = debt.payments_count; // defaulted, yet always in the answer
  return `${debt.id} ${debt.name}: ${debt.remaining_amount} of ${debt.principal}, ${paymentsCount} paid`;
}

function paymentLine(payment: PaymentOut): string {
  const amount: number = payment.amount;
  return `${payment.id} on ${payment.debt_id}: ${amount}`;
}

function listLine(page: PagePaymentOut): string {
  const amounts: number[] = page.items.map((item) => item.amount);
  return `${page.total} payments: ${amounts.join(", ")}`;
}

// ---------------------------------------------------------------- edit forms (hey-api)
// Each GETs the object, PUTs it back as it is (`{ ...it }`: read-only and derived fields are
// ignored), then with one edit. The client's baseUrl and auth come from `client.setConfig`.

export async function editDebt(debt_id: string, name: string): Promise<DebtOut> {
  const { data: debt } = await getDebt({ path: { debt_id }, throwOnError: true });
  await updateDebt({ path: { debt_id }, body: { ...debt }, throwOnError: true });
  const edited = { ...debt, name };
  return (await updateDebt({ path: { debt_id }, body: edited, throwOnError: true })).data;
}

export async function editIncome(income_id: string, source: string): Promise<string> {
  const { data: income } = await getIncome({ path: { income_id }, throwOnError: true });
  await updateIncome({ path: { income_id }, body: { ...income }, throwOnError: true });
  const edited = { ...income, source };
  return (await updateIncome({ path: { income_id }, body: edited, throwOnError: true })).data.id;
}

export async function editExpense(expense_id: string, amount: number): Promise<number> {
  const { data: expense } = await getExpense({ path: { expense_id }, throwOnError: true });
  await updateExpense({ path: { expense_id }, body: { ...expense }, throwOnError: true });
  const edited = { ...expense, amount };
  const { data } = await updateExpense({ path: { expense_id }, body: edited, throwOnError: true });
  return data.amount;
}

export async function editBudget(budget_id: string, monthly_limit: number): Promise<number> {
  const { data: budget } = await getBudget({ path: { budget_id }, throwOnError: true });
  await updateBudget({ path: { budget_id }, body: { ...budget }, throwOnError: true });
  const edited = { ...budget, monthly_limit };
  const { data } = await updateBudget({ path: { budget_id }, body: edited, throwOnError: true });
  return data.monthly_limit;
}

export async function editGoal(goal_id: string, title: string): Promise<string> {
  // A completed goal answers status "completed": sent back, it changes nothing.
  const { data: goal } = await getGoal({ path: { goal_id }, throwOnError: true });
  await updateGoal({ path: { goal_id }, body: { ...goal }, throwOnError: true });
  const edited = { ...goal, title };
  return (await updateGoal({ path: { goal_id }, body: edited, throwOnError: true })).data.status;
}

export async function editProfile(timezone: string): Promise<UserOut> {
  const { data: me } = await getMe({ throwOnError: true });
  await updateMe({ body: { ...me }, throwOnError: true });
  const edited = { ...me, full_name: "Jane Doe", profile: { ...me.profile, timezone } };
  return (await updateMe({ body: edited, throwOnError: true })).data;
}

export async function editRule(rule_id: string, order: number): Promise<number> {
  const { data: rule } = await getRule({ path: { rule_id }, throwOnError: true });
  await updateRule({ path: { rule_id }, body: { ...rule }, throwOnError: true });
  const edited = { ...rule, order, set: { ...rule.set, category: "transport" } };
  return (await updateRule({ path: { rule_id }, body: edited, throwOnError: true })).data.order;
}

export async function editAccount(account_id: string, name: string): Promise<number> {
  // The balance and the currency are read-only: sent back, they change nothing.
  const { data: account } = await getAccount({ path: { account_id }, throwOnError: true });
  await updateAccount({ path: { account_id }, body: { ...account }, throwOnError: true });
  const edited = { ...account, name };
  return (await updateAccount({ path: { account_id }, body: edited, throwOnError: true })).data
    .balance;
}

export async function editRecurring(recurring_id: string): Promise<string> {
  // Confirming a suggestion: the item sent back with its status; `expected_amount`, `payee`
  // and `occurrences` are read-only, and a derived `ended` status sent back changes nothing.
  const path = { recurring_id };
  const { data: item } = await getRecurring({ path, throwOnError: true });
  await updateRecurring({ path, body: { ...item }, throwOnError: true });
  const edited = { ...item, status: "confirmed" as const };
  return (await updateRecurring({ path, body: edited, throwOnError: true })).data.status;
}

export async function editImportRow(import_id: string, category: string): Promise<string> {
  // Rows are read a page at a time (GET /api/imports/{import_id}/rows): an item is the object.
  const { data: page } = await listImportRows({ path: { import_id }, throwOnError: true });
  const row = page.items[0];
  const path = { import_id, row_id: row.id };
  await updateImportRow({ path, body: { ...row }, throwOnError: true });
  const { data } = await updateImportRow({ path, body: { ...row, category }, throwOnError: true });
  return data.row.category ?? "";
}

// ---------------------------------------------------------------- edit forms (openapi-typescript)
// The same spreads as the request types of openapi-typescript: each answer of a GET, as it is
// and with one edit, is the body of the matching PUT.

export const forms = {
  debt: (it: Answer<"getDebt", 200>): Body<"updateDebt">[] => [{ ...it }, { ...it, name: "Car" }],
  income: (it: Answer<"getIncome", 200>): Body<"updateIncome">[] => [
    { ...it },
    { ...it, source: "Salary" },
  ],
  expense: (it: Answer<"getExpense", 200>): Body<"updateExpense">[] => [
    { ...it },
    { ...it, amount: 250 },
  ],
  budget: (it: Answer<"getBudget", 200>): Body<"updateBudget">[] => [
    { ...it },
    { ...it, monthly_limit: 9000 },
  ],
  goal: (it: Answer<"getGoal", 200>): Body<"updateGoal">[] => [{ ...it }, { ...it, title: "Car" }],
  me: (it: Answer<"getMe", 200>): Body<"updateMe">[] => [
    { ...it },
    { ...it, profile: { ...it.profile, timezone: "Europe/London" } },
  ],
  rule: (it: Answer<"getRule", 200>): Body<"updateRule">[] => [{ ...it }, { ...it, order: 3 }],
  account: (it: Answer<"getAccount", 200>): Body<"updateAccount">[] => [
    { ...it },
    { ...it, name: "HDFC Savings" },
  ],
  recurring: (it: Answer<"getRecurring", 200>): Body<"updateRecurring">[] => [
    { ...it },
    { ...it, status: "dismissed" },
  ],
  importRow: (page: Answer<"listImportRows", 200>): Body<"updateImportRow">[] => [
    { ...page.items[0] },
    { ...page.items[0], category: "rent" },
  ],
};

// ---------------------------------------------------------------- errors (hey-api)

/** What an operation can answer besides success: a sentence (`ErrorOut`), the fields in error
 * (`ValidationErrorOut`, every 422), or a 409 that is either (`ConflictOut`). */
export type ApiError = ErrorOut | ValidationErrorOut | ConflictOut;

/** With `throwOnError: true` the SDK throws the error answer's parsed body, a plain object (not
 * an `Error`); a network failure throws the fetch's own `TypeError`, and a body that is not
 * JSON (a proxy's HTML page) is thrown as its text. */
export function isApiError(thrown: unknown): thrown is ApiError {
  return typeof thrown === "object" && thrown !== null && "code" in thrown && "detail" in thrown;
}

export type FormErrors = { fields: Record<string, string>; message?: string; code: string };

/** An error answer as a form shows it: each issue located in the body beside its field
 * (`loc` `["body", "profile", "timezone"]` is the field `profile.timezone`), the rest above. */
export function formErrors(error: ApiError): FormErrors {
  if (typeof error.detail === "string") {
    return { fields: {}, message: error.detail, code: error.code };
  }
  const fields: Record<string, string> = {};
  const elsewhere: string[] = [];
  for (const issue of error.detail) {
    const [where, ...path] = issue.loc;
    if (where === "body" && path.length > 0) fields[path.join(".")] = issue.msg;
    else elsewhere.push(issue.msg); // a query parameter or a header: not a field of the form
  }
  const message = elsewhere.length > 0 ? elsewhere.join("; ") : undefined;
  return { fields, message, code: error.code };
}

/** A debt form's submit: the saved debt, or what to show on the form. */
export async function saveDebt(
  debt_id: string,
  form: DebtOut,
): Promise<{ debt: DebtOut } | { errors: FormErrors }> {
  try {
    const body = { ...form };
    return { debt: (await updateDebt({ path: { debt_id }, body, throwOnError: true })).data };
  } catch (thrown: unknown) {
    if (!isApiError(thrown)) throw thrown; // offline, aborted, or not the API answering
    return { errors: formErrors(thrown) };
  }
}

/** The same without throwing: `error` is typed by the operation (`UpdateDebtError`), and
 * `response.status` says which answer it is. */
export async function saveDebtWithoutThrowing(
  debt_id: string,
  form: DebtOut,
): Promise<(FormErrors & { status: number }) | null> {
  const { error, response } = await updateDebt({ path: { debt_id }, body: { ...form } });
  return error === undefined ? null : { ...formErrors(error), status: response.status };
}

// ---------------------------------------------------------------- delta sync, If-Match

/** A local copy's record: what its GET answers, and the ETag to send back as If-Match. */
export type Held = { resource: string; data: unknown; etag: string | null };

/** Apply the changes since `cursor` (none: a full load) to `store`; returns the cursor to keep
 * with it. A 410 (the cursor is older than the deletions kept) reloads everything. */
export async function syncInto(store: Map<string, Held>, cursor?: string): Promise<string> {
  for (;;) {
    const { data, response } = await getSyncChanges({ query: { since: cursor, limit: 500 } });
    if (response.status === 410) {
      store.clear();
      cursor = undefined;
      continue;
    }
    if (data === undefined) throw new Error(`sync failed: ${response.status}`);
    for (const change of data.changes) {
      const key = `${change.resource}:${change.id}`;
      if (change.op === "delete") store.delete(key);
      else store.set(key, { resource: change.resource, data: change.data, etag: change.etag });
    }
    cursor = data.cursor;
    if (!data.has_more) return cursor;
  }
}

/** `resource` discriminates: a debt's change carries a `DebtOut`. */
export function syncedDebts(page: SyncPage): DebtOut[] {
  return page.changes.flatMap((c) => (c.resource === "debt" && c.data ? [c.data] : []));
}

/** Save an edit of the expense as held: "changed" when another device changed it first. */
export async function saveHeldExpense(held: ExpenseOut, etag: string): Promise<"saved" | "changed"> {
  const { response } = await updateExpense({
    path: { expense_id: held.id },
    body: { ...held },
    headers: { "if-match": etag },
  });
  return response.status === 412 ? "changed" : "saved";
}

// ---------------------------------------------------------------- openapi-typescript answers

export function readAnswers(
  tokens: Answer<"signup", 201>,
  debt: Answer<"createDebt", 201>,
  payment: Answer<"createPayment", 201>,
  page: Answer<"listPayments", 200>,
): string {
  const paymentsCount: number = debt.payments_count;
  const amount: number = payment.amount;
  const total: number = page.total;
  return `${tokens.user.id} ${debt.id} ${debt.name} ${paymentsCount} ${payment.id} ${amount} ${total}`;
}
