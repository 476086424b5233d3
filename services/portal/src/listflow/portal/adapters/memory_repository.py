"""In-memory portal repository: the fake that unit tests wire instead of MongoDB."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from listflow.kit.clock import to_millis
from listflow.portal.domain.idv import LockState
from listflow.portal.domain.model import AccessLink, Customer, PortalSettings
from listflow.portal.domain.money import Judged, Payment, Plan, Promise, next_due
from listflow.portal.ports import AttemptPage, IdvAttempt, LinkPage, PageView, PaymentPage


class InMemoryPortalRepository:
    def __init__(self) -> None:
        self.settings: dict[str, PortalSettings] = {}
        self.customers: dict[tuple[str, str], Customer] = {}
        self.ready: dict[str, set[str]] = {}
        self.answered: dict[tuple[str, str], datetime] = {}
        self.links: dict[tuple[str, str], AccessLink] = {}
        self.locks: dict[str, LockState] = {}
        self.hits: dict[str, int] = {}
        self.attempts: list[IdvAttempt] = []
        self.payments: dict[tuple[str, str], Payment] = {}
        self.promises: list[Promise] = []
        self.plans: list[Plan] = []

    async def get_settings(self, tenant_id: str) -> PortalSettings | None:
        return self.settings.get(tenant_id)

    async def put_settings(self, tenant_id: str, settings: PortalSettings) -> None:
        self.settings[tenant_id] = settings

    async def upsert_customers(self, customers: Sequence[Customer]) -> list[Customer]:
        kept = []
        for customer in customers:
            key = (customer.tenant_id, customer.contact_id)
            stored = self.customers.get(key)
            if stored is None or stored.version < customer.version:
                self.customers[key] = customer
                kept.append(customer)
        return kept

    async def page_view(self, tenant_id: str, contact_id: str) -> PageView | None:
        customer = self.customers.get((tenant_id, contact_id))
        link = self.links.get((tenant_id, contact_id))
        if customer is None or link is None:
            return None
        lock = self.locks.get(link.id, LockState())
        return PageView(customer, link, lock, self.settings.get(tenant_id))

    async def get_customer(self, tenant_id: str, contact_id: str) -> Customer | None:
        return self.customers.get((tenant_id, contact_id))

    async def contact_ids_in_group(self, tenant_id: str, group_id: str) -> list[str]:
        return [
            c.contact_id
            for (tenant, _), c in sorted(self.customers.items())
            if tenant == tenant_id and group_id in c.group_ids and not c.deleted
        ]

    async def mark_group_ready(self, tenant_id: str, group_id: str, at: datetime) -> bool:
        self.ready.setdefault(tenant_id, set()).add(group_id)
        answered = self.answered.get((tenant_id, group_id))
        return answered is not None and answered >= to_millis(at)

    async def mark_group_answered(self, tenant_id: str, group_id: str, at: datetime) -> None:
        key = (tenant_id, group_id)
        self.answered[key] = max(to_millis(at), self.answered.get(key, to_millis(at)))

    async def ready_groups(self, tenant_id: str) -> set[str]:
        return set(self.ready.get(tenant_id, ()))

    async def current_link(self, tenant_id: str, contact_id: str) -> AccessLink | None:
        return self.links.get((tenant_id, contact_id))

    async def current_links(
        self, tenant_id: str, contact_ids: Sequence[str]
    ) -> dict[str, AccessLink]:
        found = ((c, self.links.get((tenant_id, c))) for c in contact_ids)
        return {c: link for c, link in found if link is not None}

    async def insert_links(self, links: Sequence[AccessLink]) -> set[str]:
        return {li.id for li in links if await self.insert_link(li)}

    async def insert_link(self, link: AccessLink) -> bool:
        key = (link.tenant_id, link.contact_id)
        if key in self.links:
            return False
        self.links[key] = link
        return True

    async def replace_link(self, old: AccessLink, new: AccessLink) -> bool:
        key = (old.tenant_id, old.contact_id)
        current = self.links.get(key)
        if current is None or current.id != old.id:
            return False
        self.links[key] = new
        return True

    async def save_link_state(self, link: AccessLink) -> bool:
        return await self.replace_link(link, link)

    async def mark_links_published(self, links: Sequence[AccessLink]) -> None:
        for link in links:
            key = (link.tenant_id, link.contact_id)
            current = self.links.get(key)
            if current is not None and current.id == link.id:
                self.links[key] = replace(current, published=True)

    async def link_by_token_hash(self, token_hash: str) -> AccessLink | None:
        return next((li for li in self.links.values() if li.token_hash == token_hash), None)

    async def links_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> LinkPage:
        links = sorted(
            (
                li
                for (tenant, contact), li in self.links.items()
                if tenant == tenant_id and (contact_id is None or contact == contact_id)
            ),
            key=lambda li: li.contact_id,
        )
        if cursor is not None:
            links = [li for li in links if li.contact_id > cursor]
        page = links[:limit]
        more = len(links) > limit
        return LinkPage(page, page[-1].contact_id if more and page else None)

    # --- ID&V ---------------------------------------------------------------------------

    async def lock_state(self, link_id: str) -> LockState:
        return self.locks.get(link_id, LockState())

    async def record_failure(self, link_id: str) -> int:
        state = self.locks.get(link_id, LockState())
        self.locks[link_id] = replace(state, failures=state.failures + 1)
        return state.failures + 1

    async def lock(self, link_id: str, until: datetime) -> None:
        self.locks[link_id] = LockState(failures=0, locked_until=until)

    async def clear_failures(self, link_id: str) -> None:
        state = self.locks.get(link_id, LockState())
        self.locks[link_id] = replace(state, failures=0)

    async def hit(self, key: str, window_start: datetime, expires_at: datetime) -> int:
        full = f"{key}:{window_start.isoformat()}"
        self.hits[full] = self.hits.get(full, 0) + 1
        return self.hits[full]

    async def audit(self, attempt: IdvAttempt) -> None:
        self.attempts.append(attempt)

    async def attempts_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> AttemptPage:
        items = sorted(
            (
                a
                for a in self.attempts
                if a.tenant_id == tenant_id and (contact_id is None or a.contact_id == contact_id)
            ),
            key=lambda a: a.id,
            reverse=True,
        )
        if cursor is not None:
            items = [a for a in items if a.id < cursor]
        page = items[:limit]
        return AttemptPage(page, page[-1].id if len(items) > limit and page else None)

    # --- payments, promises, plans ---------------------------------------------------------

    async def insert_payment(self, payment: Payment) -> Payment:
        return self.payments.setdefault((payment.tenant_id, payment.id), payment)

    async def set_intent(self, payment: Payment, intent_id: str, hosted_url: str) -> None:
        key = (payment.tenant_id, payment.id)
        self.payments[key] = replace(self.payments[key], intent_id=intent_id, hosted_url=hosted_url)

    async def get_payment(self, tenant_id: str, payment_id: str) -> Payment | None:
        return self.payments.get((tenant_id, payment_id))

    async def settle(self, settled: Payment) -> bool:
        key = (settled.tenant_id, settled.id)
        current = self.payments.get(key)
        if current is None or current.status != "pending":
            return False
        self.payments[key] = replace(settled, published=False)
        return True

    async def mark_published(self, payment: Payment) -> None:
        key = (payment.tenant_id, payment.id)
        self.payments[key] = replace(self.payments[key], published=True)

    async def payments_of(self, tenant_id: str, contact_id: str) -> list[Payment]:
        page = await self.payments_page(tenant_id, contact_id=contact_id, limit=1000, cursor=None)
        return page.items

    async def payments_page(
        self, tenant_id: str, *, contact_id: str | None, limit: int, cursor: str | None
    ) -> PaymentPage:
        items = sorted(
            (
                p
                for (tenant, _), p in self.payments.items()
                if tenant == tenant_id and (contact_id is None or p.contact_id == contact_id)
            ),
            key=lambda p: (p.created_at, p.id),
            reverse=True,
        )
        if cursor is not None:
            at = next((i for i, p in enumerate(items) if p.id == cursor), None)
            items = items[at + 1 :] if at is not None else []
        page = items[:limit]
        return PaymentPage(page, page[-1].id if len(items) > limit and page else None)

    async def insert_promise(self, promise: Promise) -> None:
        self.promises.append(promise)

    async def promises_of(self, tenant_id: str, contact_id: str) -> list[Promise]:
        return [p for p in self.promises if (p.tenant_id, p.contact_id) == (tenant_id, contact_id)]

    async def promises_to_judge(self, due_before: date, limit: int) -> list[Promise]:
        return [
            p
            for p in self.promises
            if (p.state == "open" and p.due_date < due_before) or not p.announced
        ][:limit]

    async def judge(self, judged: Promise) -> bool:
        at = next(
            (
                i
                for i, p in enumerate(self.promises)
                if (p.tenant_id, p.id) == (judged.tenant_id, judged.id)
            ),
            None,
        )
        if at is None or self.promises[at].state != "open":
            return False
        self.promises[at] = replace(judged, announced=False)
        return True

    async def mark_announced(self, promise: Promise) -> None:
        self.promises = [
            replace(p, announced=True)
            if (p.tenant_id, p.id) == (promise.tenant_id, promise.id)
            else p
            for p in self.promises
        ]

    async def insert_plan(self, plan: Plan) -> None:
        self.plans.append(plan)

    async def plans_to_judge(self, due_before: date, limit: int) -> list[Plan]:
        def waiting(plan: Plan) -> bool:
            due = next_due(plan, {j.number for j in plan.judged})
            return (due is not None and due < due_before) or any(
                not j.announced for j in plan.judged
            )

        return [p for p in self.plans if waiting(p)][:limit]

    async def judge_instalment(self, plan: Plan, judged: Judged, next_due: date | None) -> bool:
        at = self._plan_at(plan)
        current = self.plans[at]
        if any(j.number == judged.number for j in current.judged):
            return False
        self.plans[at] = replace(current, judged=(*current.judged, judged))
        return True

    async def mark_instalment_announced(self, plan: Plan, number: int) -> None:
        at = self._plan_at(plan)
        current = self.plans[at]
        self.plans[at] = replace(
            current,
            judged=tuple(
                replace(j, announced=True) if j.number == number else j for j in current.judged
            ),
        )

    def _plan_at(self, plan: Plan) -> int:
        return next(
            i for i, p in enumerate(self.plans) if (p.tenant_id, p.id) == (plan.tenant_id, plan.id)
        )

    async def plans_of(self, tenant_id: str, contact_id: str) -> list[Plan]:
        return [p for p in self.plans if (p.tenant_id, p.contact_id) == (tenant_id, contact_id)]
