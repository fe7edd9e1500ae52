"""The handler stays thin: it imports the service and the observability objects, nothing else of the engine.

(import-linter checks the package's own layers in `make lint`; the handler is a module outside the package,
which import-linter cannot take as a root, so this test checks it.)"""

from __future__ import annotations

import ast
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
HANDLER = FUNCTIONS / "sync" / "app.py"
ALLOWED = {"okta_zoom_sync.service", "okta_zoom_sync.observability"}


def imported_modules(source: str) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from okta_zoom_sync import service` imports the module okta_zoom_sync.service
            names = {f"{node.module}.{alias.name}" for alias in node.names}
            modules |= names if node.module == "okta_zoom_sync" else {node.module}
    return modules


def test_the_handler_imports_only_the_service_and_observability() -> None:
    ours = {m for m in imported_modules(HANDLER.read_text(encoding="utf-8")) if m.startswith("okta_zoom_sync")}
    assert ours == ALLOWED


def test_the_hook_handler_imports_only_its_service_and_observability() -> None:
    source = (FUNCTIONS / "hook" / "app.py").read_text(encoding="utf-8")
    assert {m for m in imported_modules(source) if m.startswith("okta_zoom_sync")} == ALLOWED
    from_service = {
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module == "okta_zoom_sync.service"
        for alias in node.names
    }
    assert from_service == {"hook"}  # the hook's service module, not the sync's


def test_the_import_check_sees_a_forbidden_import() -> None:
    # Given a handler that reaches past the service
    source = "from okta_zoom_sync import service\nfrom okta_zoom_sync.engine.sync import SyncEngine\n"
    # Then the check names the engine module
    assert imported_modules(source) - ALLOWED == {"okta_zoom_sync.engine.sync"}
