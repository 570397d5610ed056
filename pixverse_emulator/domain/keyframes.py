"""Multi-transition: 2 to 7 uploaded images of the caller's, each shown for its
`duration` (the last may have none) and blended into the next; the video takes the
first image's shape and lasts the sum, 1 to 30 s."""

from __future__ import annotations

from ..errors import InvalidParameter
from . import rules
from .references import Shape, owned_image, picture
from .schemas import MultiTransitionCreate
from .uploads import UploadStore


def plan(request: MultiTransitionCreate, uploads: UploadStore, team_id: str) -> Shape:
    frames = request.multi_transition
    for i, frame in enumerate(frames[:-1]):
        if frame.duration < 1:
            raise InvalidParameter(
                f"multi_transition[{i}].duration: only the last image may last 0 s",
                reason="multi_transition.duration")
    total = sum(frame.duration for frame in frames)
    if not 1 <= total <= rules.KEYFRAMES_SECONDS_MAX:
        raise InvalidParameter(
            f"multi_transition: the durations add up to {total} s; the video lasts 1 to "
            f"{rules.KEYFRAMES_SECONDS_MAX} s", reason="multi_transition.total")
    images = [owned_image(uploads, team_id, f"multi_transition[{i}].img_id", frame.img_id)
              for i, frame in enumerate(frames)]
    return picture(request.quality, None, images[0], float(total))


def prompts(request: MultiTransitionCreate) -> str:
    """The keyframes' prompts together: where the task's directives are read."""
    return " ".join(frame.prompt for frame in request.multi_transition if frame.prompt)
