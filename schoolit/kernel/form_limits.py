"""How a page asks to show its posted form's unfit values at the fields, and how it gets them.

The app's input limits (`schoolit.web.input_limits`, a `before_request` hook) refuse a value its
column cannot hold with a 422 error page. A page whose form comes back with each error at its field
declares so in its route's `opt` (`at_fields`); the hook then leaves the problems of its form for the
handler (`form_problems`), whose form flow (`schoolit.form_flow.attempt`) shows them instead of saving,
and the typed values stay. This module is that agreement, in the kernel so that every domain's pages
(accounts' too, which may not import `web`) and the hook share one implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OPT_KEY = "input_limits"
OWN_DECODER = "decoder"  # the route's body has a decoder of its own: the hook leaves it alone
AT_FIELDS = "fields"  # the route's page shows its form's problems at the fields
_FORM_PROBLEMS = "input_limit_problems"


def at_fields(opt: dict[str, Any]) -> dict[str, Any]:
    """A route's `opt` for a page that shows its form's problems at the fields (see module doc)."""
    return {**opt, OPT_KEY: AT_FIELDS}


def shows_at_fields(opt: Mapping[str, Any]) -> bool:
    return opt.get(OPT_KEY) == AT_FIELDS


def own_decoder(opt: Mapping[str, Any]) -> bool:
    return opt.get(OPT_KEY) == OWN_DECODER


def keep_form_problems(request: Any, problems: Mapping[str, str]) -> None:
    """The hook's side: leave the form's problems (field -> reason in the request's language) for the
    handler of a route declared with `at_fields`."""
    request.state[_FORM_PROBLEMS] = dict(problems)


def form_problems(request: Any) -> dict[str, str]:
    """The posted fields that do not fit their columns, each with its reason in the request's language,
    for a route declared with `at_fields`: the handler must show them and save nothing."""
    return dict(request.state.get(_FORM_PROBLEMS, {}))
