"""Pages and endpoints that belong to no domain: home, health, language switch."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, HttpMethod, Request, Response, get, route
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import File, Redirect, Template

from schoolit import db
from schoolit.kernel import start
from schoolit.kernel.access import CHANGES_NOTHING, public
from schoolit.kernel.i18n import LOCALES
from schoolit.kernel.navigation import current_user
from schoolit.kernel.urls import local_path
from schoolit.logs import get_logger

log = get_logger("schoolit.web")
# The project's icon: every page links it (web/base.html), and /favicon.ico answers it.
ICON = Path(__file__).resolve().parent / "static" / "img" / "icon.svg"
FAVICON_MAX_AGE = 24 * 3600  # its address carries no version (browsers ask for it by name): a day


class WebController(Controller):
    include_in_schema = False

    @get("/", name="home", opt=public())
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        """Visitors see what schoolit is; a logged-in person their start page (schoolit.web.start)."""
        caller = request.scope.get("state", {}).get("scope")
        user = current_user(request)
        if caller is None or user is None:
            return Template(template_name="web/home.html")
        return Template(template_name="web/start.html", context={
            "panels": await start.panels(caller), "role": str(caller.role), "user_name": user["display_name"]})

    @get("/language/{code:str}", name="language", opt=public())
    async def language(
        self, request: Request[Any, Any, Any], code: FromPath[str],
        next_: Annotated[str, QueryParameter(name="next")] = "/",
    ) -> Redirect:
        response = Redirect(path=local_path(next_))
        if code in LOCALES:
            response.cookies.append(Cookie(key="lang", value=code, max_age=365 * 24 * 3600,
                                           httponly=True, samesite="lax", path="/"))
        return response

    @get("/favicon.ico", name="favicon", opt=public())
    async def favicon(self) -> File:
        """Browsers ask every site for /favicon.ico, also where no page names an icon (a CSV, the API): the
        project icon with its validators (ETag, Last-Modified), kept a day, instead of a 404 in the log."""
        return File(path=ICON, media_type="image/svg+xml", content_disposition_type="inline",
                    headers={"cache-control": f"public, max-age={FAVICON_MAX_AGE}"})

    # Last in line: a path no route has. Answered here rather than by the router, so the login and the
    # language are known and a signed-in person gets the 404 page with their own header and menu.
    @route("/{rest:path}", http_method=[HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH,
                                        HttpMethod.DELETE], name="nowhere", opt={**public(), CHANGES_NOTHING: True})
    async def nowhere(self, rest: FromPath[str]) -> None:
        raise NotFoundException()


@get("/health", name="health", summary="Liveness and database check", tags=["system"], opt=public())
async def health() -> Response[dict[str, str]]:
    """200 `{"status": "ok"}` only when the database answers; 503 otherwise."""
    if await db.ping():
        return Response({"status": "ok"}, status_code=200)
    log.warning("health check: database does not answer")
    return Response({"status": "unavailable"}, status_code=503)
