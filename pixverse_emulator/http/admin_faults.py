"""`/_emulator/faults`: add, list and remove fault rules (applied by `FaultInjector`).

Kept out of the public OpenAPI document, like the rest of the control plane. A rule is
checked in full when it is added, so a typo (an unknown error, a method its route never
sees) is a 400013 naming the field instead of a rule that silently never fires.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ..domain.faults import FaultRule, error_class
from ..errors import InvalidField
from .deps import EmulatorDep, json_body
from .fault_injector import DOWNLOAD

router = APIRouter(prefix="/_emulator", include_in_schema=False)

SET_BY_EMULATOR = ("id", "fired")
READ_ROUTES = ("result", DOWNLOAD, "tts_list", "balance", "restyle_list")
READ_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST"})
ANY_METHOD = READ_METHODS | WRITE_METHODS
parse_rule = json_body(FaultRule)


async def rule_in(request: Request) -> FaultRule:
    """The posted rule, with FaultRule's own checks and then `check_rule`'s."""
    rule = await parse_rule(request)
    check_rule(rule)
    return rule


def check_rule(rule: FaultRule) -> None:
    """What FaultRule cannot know: which fields are the emulator's, the error catalogue,
    and which methods each route of the gateway takes."""
    for field in SET_BY_EMULATOR:
        if field in rule.model_fields_set:
            raise _invalid(field, "set by the emulator, not in a new rule")
    if rule.error is not None and error_class(rule.error) is None:
        raise _invalid("error", f"{rule.error!r} is no error.code, ErrCode or HTTP status "
                                "of the error catalogue")
    if rule.truncate is not None and rule.route != DOWNLOAD:
        raise _invalid("truncate", "applies to the download route only (route: download)")
    if rule.method is not None and rule.method.upper() not in methods_of(rule.route):
        raise _invalid("method", f"{rule.route} requests are never {rule.method}")


def methods_of(route: str) -> frozenset[str]:
    """The methods a rule for `route` can ever see: the gateway's uploads and creates
    take POST, its result and file URLs GET and HEAD."""
    if route == "*":
        return ANY_METHOD
    return READ_METHODS if route in READ_ROUTES else WRITE_METHODS


def _invalid(field: str, problem: str) -> InvalidField:
    return InvalidField(f"Invalid field type or value: {field}: {problem}", reason="fault")


RuleBody = Annotated[FaultRule, Depends(rule_in)]


@router.post("/faults")
async def add_fault(emulator: EmulatorDep, rule: RuleBody) -> dict[str, Any]:
    return {"fault": emulator.add_fault(rule).model_dump()}


@router.get("/faults")
async def list_faults(emulator: EmulatorDep, team: str | None = None) -> dict[str, Any]:
    return {"faults": [rule.model_dump() for rule in emulator.list_faults(team)]}


@router.delete("/faults/{fault_id}")
async def remove_fault(fault_id: int, emulator: EmulatorDep) -> dict[str, Any]:
    emulator.remove_fault(fault_id)
    return {"deleted": fault_id}


@router.delete("/faults")
async def clear_faults(emulator: EmulatorDep, team: str | None = None) -> dict[str, Any]:
    emulator.clear_faults(team)
    return {"faults": []}
