"""The customer's pages under /p: server-rendered, usable without JavaScript. Every answer
is a readable page (never a problem document, never a 500 for bad input)."""

import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from listflow.kit.logging import get_logger
from listflow.kit.problems import readable_errors
from listflow.portal.domain.model import IdvFact
from listflow.portal.domain.money import Refusal, payable
from listflow.portal.entrypoints.deps import ContainerDep
from listflow.portal.entrypoints.web import DATE_ORDER, SESSION_COOKIE, Session, language, page
from listflow.portal.selfservice import Visit, total_of

_log = get_logger(__name__)
router = APIRouter(prefix="/p", include_in_schema=False)
FormText = Annotated[str, Form(max_length=200)]
# Autocomplete tokens (password managers fill them) and input modes for each ID&V fact.
IDV_INPUTS: dict[IdvFact, dict[str, str]] = {
    IdvFact.DATE_OF_BIRTH: {"autocomplete": "bday", "inputmode": "text"},
    IdvFact.POSTCODE: {"autocomplete": "postal-code", "inputmode": "text"},
    IdvFact.ACCOUNT_LAST4: {"autocomplete": "off", "inputmode": "numeric"},
    IdvFact.NATIONAL_ID_LAST4: {"autocomplete": "off", "inputmode": "numeric"},
}


def _cookie(request: Request, response: Response, container: Any, session: Session) -> None:
    secure = request.url.scheme == "https" or (
        container.settings.portal_trust_forwarded
        and request.headers.get("x-forwarded-proto") == "https"
    )
    response.set_cookie(
        SESSION_COOKIE,
        container.sessions.dumps(session),
        httponly=True,
        samesite="lax",  # strict would drop it on the way back from the provider's page
        secure=secure,
        path="/p",
    )


def _address(request: Request, trust_forwarded: bool) -> str:
    if trust_forwarded and (forwarded := request.headers.get("x-forwarded-for")):
        return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def install_page_errors(app: FastAPI, secure: Callable[[Response], None]) -> None:
    """Under /p a customer gets a readable page for bad input, an unknown page or a wrong
    method (kit answers problem documents everywhere else, the admin API's convention)."""

    def readable(request: Request, status: int) -> Response:
        response = page(
            request, "not_found.html" if status != 400 else "expired_form.html", status=status
        )
        secure(response)
        return response

    readable_errors(app, "/p/", readable)


def invalid(request: Request) -> Response:
    """The one answer for a wrong, expired or revoked link: nothing says which."""
    return page(request, "invalid.html", status=404)


async def _session(request: Request, container: Any) -> tuple[Session, Visit] | None:
    # The idle timeout is the tenant's: the cookie is verified (under a day's bound) to find
    # the tenant, then its age is held against the tenant's timeout.
    session = container.sessions.loads(request.cookies.get(SESSION_COOKIE), timedelta(hours=24))
    if session is None:
        return None
    visit = await container.selfservice.visit(
        session.tenant_id, session.contact_id, session.link_id
    )
    if visit is None:
        return None
    idle = timedelta(minutes=visit.settings.session_idle_minutes)
    return (session, visit) if container.sessions.idle_within(session, idle) else None


Handler = Callable[[Request, Any, Session, Visit], Awaitable[Response]]


async def _guarded(
    request: Request,
    container: Any,
    handler: Handler,
    *,
    verified: bool = True,
    csrf: str | None = None,
    form: bool = False,
) -> Response:
    """Find the session, refuse a stale one or a forged form, run the page, re-sign the
    cookie (its time is the last activity) and set the pages' security headers."""
    found = await _session(request, container)
    if found is None:
        response: Response = page(request, "ended.html", status=401)
    else:
        session, visit = found
        if verified and not session.verified:
            response = RedirectResponse("/p/verify", status_code=303)
        elif form and not container.sessions.csrf_ok(session, csrf):
            response = page(request, "expired_form.html", status=403)
        else:
            response = await handler(request, container, session, visit)
            if "x-session-set" in response.headers:
                del response.headers["x-session-set"]  # the handler set (or ended) it
            else:
                _cookie(request, response, container, session)
    container.secure_headers(response)
    return response


def _common(container: Any, session: Session, visit: Visit) -> dict[str, Any]:
    idle = visit.settings.session_idle_minutes
    return {
        "csrf": container.sessions.csrf_token(session),
        "settings": visit.settings,
        "customer": visit.customer,
        "idle_minutes": idle,
        "verified": session.verified,
    }


# --- the link and ID&V ----------------------------------------------------------------------


@router.get("/open")
async def open_link(request: Request, container: ContainerDep) -> Response:
    token = request.scope.get("listflow.portal_token")
    link = await container.selfservice.open(token) if isinstance(token, str) else None
    if link is None:
        response = invalid(request)
    else:
        response = RedirectResponse("/p/verify", status_code=303)
        session = container.sessions.new(link.tenant_id, link.contact_id, link.id, verified=False)
        _cookie(request, response, container, session)
    container.secure_headers(response)
    return response


async def _verify_page(
    request: Request, container: Any, session: Session, visit: Visit, *, error: str | None = None
) -> Response:
    if session.verified:
        return RedirectResponse("/p/accounts", status_code=303)
    # The form alone shows the lock as read with the page (no second round trip); after an
    # attempt the store is asked again.
    locked = error == "locked" or await container.selfservice.locked(visit, fresh=error is not None)
    status = {"failed": 400, "locked": 423, "throttled": 429}.get(error or "", 200)
    if locked and status == 200:
        status = 423
    return page(
        request,
        "verify.html",
        status=status,
        facts=[(f.value, IDV_INPUTS[f]) for f in visit.settings.idv_fields],
        error=error,
        locked=locked,
        **_common(container, session, visit),
    )


@router.get("/verify")
async def verify_form(request: Request, container: ContainerDep) -> Response:
    return await _guarded(request, container, _verify_page, verified=False)


@router.post("/verify")
async def verify(
    request: Request,
    container: ContainerDep,
    csrf: FormText = "",
    date_of_birth: FormText = "",
    postcode: FormText = "",
    account_last4: FormText = "",
    national_id_last4: FormText = "",
) -> Response:
    answers = {
        "date_of_birth": date_of_birth,
        "postcode": postcode,
        "account_last4": account_last4,
        "national_id_last4": national_id_last4,
    }

    async def check(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        if session.verified:
            return RedirectResponse("/p/accounts", status_code=303)
        outcome = await container.selfservice.verify(
            visit,
            answers,
            _address(request, container.settings.portal_trust_forwarded),
            DATE_ORDER[language(request)],
        )
        if outcome != "passed":
            return await _verify_page(request, container, session, visit, error=outcome)
        response = RedirectResponse("/p/accounts", status_code=303)
        fresh = container.sessions.new(
            session.tenant_id, session.contact_id, session.link_id, verified=True
        )
        _cookie(request, response, container, fresh)
        response.headers["x-session-set"] = "1"
        return response

    return await _guarded(request, container, check, verified=False, csrf=csrf, form=True)


# --- accounts and payments -----------------------------------------------------------------


async def _accounts(request: Request, container: Any, session: Session, visit: Visit) -> Response:
    return page(request, "accounts.html", payable=payable, **_common(container, session, visit))


@router.get("/accounts")
async def accounts(request: Request, container: ContainerDep) -> Response:
    return await _guarded(request, container, _accounts)


async def _pay_page(
    request: Request,
    container: Any,
    session: Session,
    visit: Visit,
    account_id: str,
    *,
    error: str | None = None,
    amount: str | None = None,
    plan: str = "",
    instalment: int | None = None,
) -> Response:
    account = visit.customer.account(account_id)
    if account is None or payable(account) <= 0:
        return page(request, "not_found.html", status=404, **_common(container, session, visit))
    chosen = None
    if plan and instalment is not None:
        try:
            chosen = await container.selfservice.due_instalment(visit, account_id, plan, instalment)
        except Refusal:
            if error is None:  # a link to an instalment paid meanwhile, or made up
                return page(
                    request, "not_found.html", status=404, **_common(container, session, visit)
                )
            # Refused on submit (paid meanwhile): say so; paying in part stays possible.
            amount = None
    return page(
        request,
        "pay.html",
        status=400 if error else 200,
        account=account,
        owed=payable(account),
        minimum=min(visit.settings.minimum_payment, payable(account)),
        amount=amount if amount is not None else str(payable(account)),
        attempt=secrets.token_hex(16),
        error=error,
        plan=plan if chosen else "",
        instalment=chosen,
        **_common(container, session, visit),
    )


def _number(raw: str) -> int | None:
    """An instalment number from a form or query (None if it is not one)."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else None


@router.get("/pay")
async def pay_form(
    request: Request,
    container: ContainerDep,
    account: str = "",
    plan: str = "",
    instalment: str = "",
) -> Response:
    async def show(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        return await _pay_page(
            request,
            container,
            session,
            visit,
            account[:200],
            plan=plan[:64],
            instalment=_number(instalment),
        )

    return await _guarded(request, container, show)


@router.post("/pay")
async def pay(
    request: Request,
    container: ContainerDep,
    csrf: FormText = "",
    account: FormText = "",
    amount: FormText = "",
    attempt: FormText = "",
    plan: FormText = "",
    instalment: FormText = "",
) -> Response:
    async def start(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        number = _number(instalment)
        try:
            payment = await container.selfservice.start_payment(
                visit, account, amount, attempt, plan_id=plan[:64] or None, instalment=number
            )
        except Refusal as refusal:
            return await _pay_page(
                request,
                container,
                session,
                visit,
                account,
                error=refusal.code,
                amount=amount,
                plan=plan[:64],
                instalment=number,
            )
        if payment.status != "pending" or payment.hosted_url is None:
            return RedirectResponse(f"/p/payments/{payment.id}", status_code=303)
        return RedirectResponse(payment.hosted_url, status_code=303)

    return await _guarded(request, container, start, csrf=csrf, form=True)


@router.get("/payments/{payment_id}")
async def receipt(request: Request, container: ContainerDep, payment_id: str) -> Response:
    async def show(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        payment = await container.selfservice.payment(visit, payment_id[:64])
        if payment is None:
            return page(request, "not_found.html", status=404, **_common(container, session, visit))
        return page(request, "receipt.html", payment=payment, **_common(container, session, visit))

    return await _guarded(request, container, show)


@router.get("/history")
async def history(request: Request, container: ContainerDep) -> Response:
    async def show(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        payments, promises, plans = await container.selfservice.history(visit)
        return page(
            request,
            "history.html",
            payments=payments,
            promises=promises,
            plans=plans,
            total_of=total_of,
            verdict_of=lambda plan, number: next(
                (j.state for j in plan.judged if j.number == number), None
            ),
            **_common(container, session, visit),
        )

    return await _guarded(request, container, show)


# --- promises and plans ---------------------------------------------------------------------


async def _promise_page(
    request: Request,
    container: Any,
    session: Session,
    visit: Visit,
    account_id: str,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    account = visit.customer.account(account_id)
    if not visit.settings.promise_to_pay or account is None or payable(account) <= 0:
        return page(request, "not_found.html", status=404, **_common(container, session, visit))
    today = container.selfservice.today()
    return page(
        request,
        "promise.html",
        status=400 if error else 200,
        account=account,
        owed=payable(account),
        minimum=min(visit.settings.minimum_payment, payable(account)),
        earliest=today.isoformat(),
        latest=(today + timedelta(days=visit.settings.promise_max_days)).isoformat(),
        error=error,
        form=form or {"amount": str(payable(account)), "due_date": ""},
        **_common(container, session, visit),
    )


@router.get("/promise")
async def promise_form(request: Request, container: ContainerDep, account: str = "") -> Response:
    async def show(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        return await _promise_page(request, container, session, visit, account[:200])

    return await _guarded(request, container, show)


@router.post("/promise")
async def promise(
    request: Request,
    container: ContainerDep,
    csrf: FormText = "",
    account: FormText = "",
    amount: FormText = "",
    due_date: FormText = "",
) -> Response:
    async def make(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        if visit.customer.account(account) is None or not visit.settings.promise_to_pay:
            return page(request, "not_found.html", status=404, **_common(container, session, visit))
        try:
            made = await container.selfservice.promise(visit, account, amount, due_date)
        except Refusal as refusal:
            return await _promise_page(
                request,
                container,
                session,
                visit,
                account,
                error=refusal.code,
                form={"amount": amount, "due_date": due_date},
            )
        return page(request, "promised.html", promise=made, **_common(container, session, visit))

    return await _guarded(request, container, make, csrf=csrf, form=True)


@router.get("/plan")
async def plan_form(request: Request, container: ContainerDep, account: str = "") -> Response:
    async def show(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        found = visit.customer.account(account[:200])
        choices = container.selfservice.plan_choices(visit, found) if found else []
        if not visit.settings.payment_plans or found is None or not choices:
            return page(request, "not_found.html", status=404, **_common(container, session, visit))
        return page(
            request,
            "plan.html",
            account=found,
            owed=payable(found),
            choices=choices,
            **_common(container, session, visit),
        )

    return await _guarded(request, container, show)


@router.post("/plan")
async def plan(
    request: Request,
    container: ContainerDep,
    csrf: FormText = "",
    account: FormText = "",
    choice: FormText = "",
    agree: FormText = "",
) -> Response:
    """Choose an offer (the whole schedule is shown), then agree to it (agree=yes)."""
    instalments, _, frequency = choice.partition(":")

    async def step(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        try:
            if agree == "yes":
                agreed = await container.selfservice.agree_plan(
                    visit, account, instalments, frequency
                )
                return page(
                    request,
                    "plan_agreed.html",
                    plan=agreed,
                    total=total_of(agreed),
                    **_common(container, session, visit),
                )
            found, chosen, schedule = container.selfservice.plan_preview(
                visit, account, instalments, frequency
            )
        except Refusal:
            return page(request, "not_found.html", status=404, **_common(container, session, visit))
        return page(
            request,
            "plan_schedule.html",
            account=found,
            choice=chosen,
            schedule=schedule,
            total=sum((i.amount for i in schedule), Decimal(0)),
            **_common(container, session, visit),
        )

    return await _guarded(request, container, step, csrf=csrf, form=True)


# --- the session ----------------------------------------------------------------------------


def _back(next_path: str) -> str:
    # Only our own pages: never an open redirect.
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or not parts.path.startswith("/p/"):
        return "/p/accounts"
    return parts.path


@router.post("/session/extend")
async def extend(
    request: Request,
    container: ContainerDep,
    csrf: FormText = "",
    next_page: Annotated[str, Form(alias="next", max_length=200)] = "/p/accounts",
) -> Response:
    async def again(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        return RedirectResponse(_back(next_page), status_code=303)

    return await _guarded(request, container, again, verified=False, csrf=csrf, form=True)


@router.post("/session/end")
async def end(request: Request, container: ContainerDep, csrf: FormText = "") -> Response:
    async def bye(request: Request, container: Any, session: Session, visit: Visit) -> Response:
        response = page(request, "signed_out.html")
        response.delete_cookie(SESSION_COOKIE, path="/p")
        response.headers["x-session-set"] = "1"
        return response

    return await _guarded(request, container, bye, verified=False, csrf=csrf, form=True)
