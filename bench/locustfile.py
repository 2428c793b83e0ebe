"""Ad-hoc load with Locust: a user's day against a running API (`make bench` needs none of it).

    pip install -r requirements-bench.txt          # locust, in a venv of your choice
    SIGNUP_LIMIT=100000 LOGIN_LIMIT=100000 make run  # the per-address limits would refuse
                                                     # many users from one load machine
    locust -f bench/locustfile.py --host http://127.0.0.1:8000        # web UI on :8089
    locust -f bench/locustfile.py --host http://127.0.0.1:8000 --headless -u 32 -r 8 -t 1m

Each simulated user signs up (bcrypt: expect the first seconds to be slow), adds a loan with
a large balance (so payments never pay it off), a budget and a few expenses, then browses
and records spending and payments. The measured benchmark with fixed data and a bare-stack
baseline is `make bench-load` (bench/load.py).
"""

import random
import uuid

from locust import HttpUser, between, task

PASSWORD = "LocustPass123!"
CATEGORIES = ("food", "groceries", "transport", "shopping", "health")


class FinanceUser(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        email = f"locust-{uuid.uuid4().hex[:12]}@example.com"
        body = {"email": email, "password": PASSWORD, "full_name": "Locust User"}
        response = self.client.post("/api/auth/signup", json=body, name="/api/auth/signup")
        response.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        debt = {
            "name": "Home loan",
            "debt_type": "home_loan",
            "principal": 1_000_000_000,
            "interest_rate": 8.5,
            "tenure_months": 240,
            "start_date": "2024-01-15",
        }
        self.debt_id = self.client.post("/api/debts", json=debt).json()["id"]
        budget = {"category": "food", "monthly_limit": 1_000_000, "alert_threshold": 80}
        self.client.post("/api/budgets", json=budget)
        for _ in range(5):
            self.add_expense()

    @task(3)
    def list_debts(self) -> None:
        self.client.get("/api/debts")

    @task(3)
    def list_expenses(self) -> None:
        self.client.get("/api/expenses?limit=20", name="/api/expenses?limit=20")

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/api/dashboard")

    @task(1)
    def me(self) -> None:
        self.client.get("/api/auth/me")

    @task(2)
    def add_expense(self) -> None:
        # Plain pseudo-randomness is fine for test traffic.
        expense = {
            "title": "Lunch",
            "category": random.choice(CATEGORIES),
            "amount": round(random.uniform(50, 900), 2),
        }
        self.client.post("/api/expenses", json=expense)

    @task(1)
    def pay(self) -> None:
        payment = {"debt_id": self.debt_id, "amount": 1000, "payment_type": "prepayment"}
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        self.client.post("/api/payments", json=payment, headers=headers)

    @task(1)
    def monthly_stats(self) -> None:
        self.client.get("/api/expenses/stats/monthly", name="/api/expenses/stats/monthly")
