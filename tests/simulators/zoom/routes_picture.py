"""``POST /v2/users/{userId}/picture``: a profile picture upload, and the ``pic_url`` GET /users/{userId} then shows.
Read access: ``picture(user)`` (the stored bytes, or None).

Source: fact sheet §2 "POST /users/{userId}/picture" and the Meeting API spec: ``multipart/form-data`` with the
file in the field ``pic_file``; jpg/jpeg or png; at most 2 MB; 201 on success. Errors: 400 code 120 "File is
empty." / "File size cannot exceed 2M." / "Only jpg/jpeg or png image file can be uploaded."; 404 code 1001.

Assumptions (the sheet is silent):

- The image type is judged by the file's content (JPEG/PNG signature), not its name or part Content-Type.
- 2M means 2 MiB (2,097,152 bytes); exactly that size is accepted.
- A body that is not ``multipart/form-data`` or has no ``pic_file`` part -> 400 code 300 naming ``pic_file``.
- A pending user: 201 and nothing stored (like PATCH, which Zoom accepts but does not apply to pending users); an
  expired invitation -> 400 code 1120 (like GET/PATCH/DELETE).
- ``pic_url`` changes whenever the image's content changes.
"""

from __future__ import annotations

import hashlib
import threading

from ..http import ApiError, Request, Response
from .formats import validation_error, zoom_error

__all__ = ["MAX_PICTURE_BYTES", "PictureRoutesMixin", "multipart_field"]

MAX_PICTURE_BYTES = 2 * 1024 * 1024
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def multipart_field(request: Request, name: str) -> bytes | None:
    """The content of the form field ``name`` of a ``multipart/form-data`` body (None when absent)."""
    header = str(request.headers.get("content-type", ""))
    boundary = next(
        (
            part.split("=", 1)[1].strip().strip('"')
            for part in header.split(";")[1:]
            if part.strip().startswith("boundary=")
        ),
        "",
    )
    if request.content_type != "multipart/form-data" or not boundary:
        return None
    for part in request.body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator:
            continue
        disposition = next(
            (line for line in head.decode("latin-1").split("\r\n") if line.lower().startswith("content-disposition")),
            "",
        )
        if f'name="{name}"' in disposition:
            return content[:-2] if content.endswith(b"\r\n") else content
    return None


class PictureRoutesMixin:
    """The picture upload handler of the :class:`~tests.simulators.zoom.ZoomSimulator`."""

    _lock: threading.RLock

    def picture(self, user: str) -> bytes | None:
        """The profile picture last uploaded for a user, or None."""
        with self._lock:
            return self._users[self._resolve_user(user)].get("_picture")

    def _h_picture(self, request: Request, userId: str) -> Response:
        user = self._invited_user(userId)
        content = multipart_field(request, "pic_file")
        if content is None:
            raise validation_error("pic_file")
        if not content:
            raise ApiError(zoom_error(400, 120, "File is empty."))
        if len(content) > MAX_PICTURE_BYTES:
            raise ApiError(zoom_error(400, 120, "File size cannot exceed 2M."))
        if not content.startswith(_SIGNATURES):
            raise ApiError(zoom_error(400, 120, "Only jpg/jpeg or png image file can be uploaded."))
        if user["status"] != "pending":
            digest = hashlib.sha256(content).hexdigest()[:32]
            user["_picture"] = content
            user["pic_url"] = f"https://us06web.zoom.us/p/v2/{digest}/{user['id']}-{digest[:8]}"
        return Response(201)
