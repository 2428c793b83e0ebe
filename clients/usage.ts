/**
 * What a frontend writes against the generated TypeScript clients, checked by `tsc --noEmit`
 * (tests/test_clients.py, run by `make test`, generates both clients first).
 *
 * The three request bodies are the owner's guide's examples, verbatim (STRUCTURE.md, "API Usage
 * Examples": signup, create debt, make payment). Each must be accepted as the request type of
 * both generators, and the answers' fields must read with the types a frontend relies on.
 */
import {
  authSignup,
  type DebtCreate,
  type DebtOut,
  debtsCreateDebt,
  type PagePaymentOut,
  type PaymentCreate,
  type PaymentOut,
  paymentsCreatePayment,
  paymentsListPayments,
  type SignupRequest,
  type TokenPair,
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

export const signup = {
  email: "user@example.com",
  password: "SecurePass123!",
  full_name: "John Doe",
  phone: "+91 98765 43210",
} satisfies SignupRequest & Body<"auth-signup">;

export const createDebt = {
  name: "Home Loan",
  debt_type: "home_loan",
  principal: 3500000,
  interest_rate: 6.5,
  tenure_months: 240,
  monthly_emi: 42500,
  bank_name: "HDFC",
  start_date: "2024-01-01T00:00:00Z",
} satisfies DebtCreate & Body<"debts-create_debt">;

// payment_type and payment_method have defaults on the server: the body may leave them out.
export const makePayment = {
  debt_id: "123abc",
  amount: 42500,
  payment_method: "net_banking",
  payment_date: "2024-01-05T00:00:00Z",
} satisfies PaymentCreate & Body<"payments-create_payment">;

// ---------------------------------------------------------------- @hey-api/openapi-ts

/** The guide's flow through the generated SDK (Fetch client): signup, debt, payment, list. */
export async function guideFlow(baseUrl: string): Promise<string> {
  const { data: tokens } = await authSignup({ baseUrl, body: signup, throwOnError: true });
  const headers = { Authorization: `Bearer ${tokens.access_token}` };
  const { data: debt } = await debtsCreateDebt({
    baseUrl,
    headers,
    body: createDebt,
    throwOnError: true,
  });
  const { data: payment } = await paymentsCreatePayment({
    baseUrl,
    headers,
    body: { ...makePayment, debt_id: debt.id },
    throwOnError: true,
  });
  const { data: page } = await paymentsListPayments({ baseUrl, headers, throwOnError: true });
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

// ---------------------------------------------------------------- openapi-typescript

export function readAnswers(
  tokens: Answer<"auth-signup", 201>,
  debt: Answer<"debts-create_debt", 201>,
  payment: Answer<"payments-create_payment", 201>,
  page: Answer<"payments-list_payments", 200>,
): string {
  const paymentsCount: number = debt.payments_count;
  const amount: number = payment.amount;
  const total: number = page.total;
  return `${tokens.user.id} ${debt.id} ${debt.name} ${paymentsCount} ${payment.id} ${amount} ${total}`;
}
