"""The console's actions: each a form post, checked in one place (`console_form`: the
form must carry this console's CSRF value), carried out through the same Emulator
call and rules as the JSON control plane, and answered with a redirect back to the page
it came from, with a notice or the error's own message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from ..domain.faults import FaultRule
from ..errors import AdminUnauthorized, EmulatorError
from ..http.admin import Advance
from ..http.admin_faults import check_rule
from ..http.deps import EmulatorDep
from .pages import PREFIX
from .render import session_of

router = APIRouter(prefix=PREFIX, include_in_schema=False)
SET_IN_CONSOLE = "set in the console"


async def console_form(request: Request) -> dict[str, str]:
    """The posted form's text fields, once it proves to come from this console."""
    form = await request.form()
    csrf = form.get("csrf")
    if not session_of(request).form_is_ours(csrf if isinstance(csrf, str) else None):
        raise AdminUnauthorized("The form did not come from this emulator's console "
                                "(its csrf field is missing or wrong); reload the page",
                                reason="csrf")
    return {name: value for name, value in form.items() if isinstance(value, str)}


Form = Annotated[dict[str, str], Depends(console_form)]


async def act(back: str, work: Callable[[], str], *, threaded: bool = False
              ) -> RedirectResponse:
    """Do `work`; back to `back` with its notice, or with the reason it was refused."""
    try:
        notice = await run_in_threadpool(work) if threaded else work()
        outcome = {"notice": notice}
    except EmulatorError as exc:
        outcome = {"error": exc.message}
    except ValidationError as exc:
        outcome = {"error": "; ".join(_problem(error) for error in exc.errors())}
    return RedirectResponse(f"{back}?{urlencode(outcome)}", status_code=303)


def _problem(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "form"
    return f"{where}: {error['msg']}"


def _number(form: dict[str, str], name: str) -> float | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise EmulatorError(f"{name}: {value!r} is not a number") from None


# -- clock and tasks ----------------------------------------------------------------------


@router.post("/clock/advance")
async def advance(emulator: EmulatorDep, form: Form) -> RedirectResponse:
    def work() -> str:
        body = Advance.model_validate({"seconds": _number(form, "seconds")})
        emulator.advance(body.seconds)
        return f"Clock advanced by {body.seconds:g} s"
    return await act(PREFIX, work, threaded=True)  # it may send webhook deliveries


@router.post("/tasks/{video_id}/status")
async def set_status(video_id: int, emulator: EmulatorDep, form: Form) -> RedirectResponse:
    def work() -> str:
        status = _number(form, "status")
        task = emulator.set_status(video_id, int(status or 0), SET_IN_CONSOLE)
        return f"Task {video_id} is now at status {int(task.status)}"
    return await act(f"{PREFIX}/tasks/{video_id}", work)


@router.post("/tasks/{video_id}/policy")
async def set_policy(video_id: int, emulator: EmulatorDep, form: Form) -> RedirectResponse:
    def work() -> str:
        progression = form.get("progression", "").strip() or None
        outcome = form.get("outcome", "").strip() or None
        emulator.set_policy(video_id, progression, outcome)
        return f"Task {video_id} changed"
    return await act(f"{PREFIX}/tasks/{video_id}", work)


# -- faults -------------------------------------------------------------------------------


def fault_rule(form: dict[str, str]) -> FaultRule:
    """A rule from the console's form, checked as a posted JSON rule is."""
    kind = form.get("kind", "error")
    rule: dict[str, Any] = {"route": form.get("route", "*")}
    if form.get("team", "").strip():
        rule["team"] = form["team"].strip()
    for name in ("count", "probability"):
        value = _number(form, name)
        if value is not None:
            rule[name] = int(value) if name == "count" and value.is_integer() else value
    if kind == "error":
        rule["error"] = form.get("error", "")
    elif kind == "drop":
        rule["drop"] = True
    else:
        rule[kind] = _number(form, "value")
    checked = FaultRule.model_validate(rule)
    check_rule(checked)
    return checked


@router.post("/faults")
async def add_fault(emulator: EmulatorDep, form: Form) -> RedirectResponse:
    def work() -> str:
        return f"Fault rule {emulator.add_fault(fault_rule(form)).id} added"
    return await act(f"{PREFIX}/faults", work)


@router.post("/faults/{fault_id}/delete")
async def remove_fault(fault_id: int, emulator: EmulatorDep, form: Form) -> RedirectResponse:
    def work() -> str:
        emulator.remove_fault(fault_id)
        return f"Fault rule {fault_id} deleted"
    return await act(f"{PREFIX}/faults", work)


# -- snapshots ----------------------------------------------------------------------------


@router.post("/snapshots")
async def save_snapshot(emulator: EmulatorDep, form: Form) -> RedirectResponse:
    def work() -> str:
        name = form.get("name", "")
        emulator.save_snapshot(name, overwrite=form.get("overwrite") == "1")
        return f"Saved snapshot {name!r}"
    return await act(f"{PREFIX}/snapshots", work, threaded=True)


@router.post("/snapshots/restore")
async def restore_snapshot(emulator: EmulatorDep, form: Form) -> RedirectResponse:
    def work() -> str:
        emulator.restore_snapshot(form.get("name", ""))
        return f"Restored snapshot {form.get('name', '')!r}"
    return await act(f"{PREFIX}/snapshots", work, threaded=True)


@router.post("/snapshots/delete")
async def delete_snapshot(emulator: EmulatorDep, form: Form) -> RedirectResponse:
    def work() -> str:
        emulator.delete_snapshot(form.get("name", ""))
        return f"Deleted snapshot {form.get('name', '')!r}"
    return await act(f"{PREFIX}/snapshots", work)
