"""What the CLI says when it starts: how it is set up, and where it listens.

      console  http://127.0.0.1:8080/_emulator/ui
      docs     http://127.0.0.1:8080/docs
      profile  worldrouter: models pixverse-c1, pixverse-v6
      clock    wall: tasks run seconds:5
      auth     open: any key works; an unlisted key names its own team
      teams    acme, beta
      state    in memory (gone at exit)
      control  open (loopback)
    pixverse-emulator 0.1.0 running on http://127.0.0.1:8080

Team ids only, never their keys. The last line is the readiness signal scripts and the
tests wait for (the socket is listening by then).
"""

from __future__ import annotations

from .core import Emulator
from .version import __version__

AUTH = {
    "open": "open: any key works; an unlisted key names its own team",
    "strict": "strict: only configured keys",
}


def banner(emulator: Emulator, url: str, notices: list[str]) -> list[str]:
    settings = emulator.settings
    progression = settings.progression or f"seconds:{settings.run_seconds:g}"
    teams = ", ".join(sorted(emulator.world.team_ids())) or "none yet"
    if settings.store_kind == "redis":
        store = emulator.store
        state = (f"shared: {getattr(store, 'name', 'redis')} ({len(emulator.world.tasks)} tasks), "
                 f"files in {store.root}")
    elif settings.data_dir is None:
        state = "in memory (gone at exit)"
    else:
        state = f"data folder {settings.data_dir} ({len(emulator.world.tasks)} tasks)"
    if settings.admin_token is not None:
        control = "locked: send 'Authorization: Bearer <admin_token>'"
    else:
        control = "open" + (" (admin_open)" if settings.admin_open else " (loopback)")
    return [
        *notices,
        f"  console  {url}/_emulator/ui",
        f"  docs     {url}/docs",
        f"  profile  {emulator.profile.name}: models {', '.join(emulator.profile.models)}",
        f"  clock    {settings.clock}: tasks run {progression}",
        f"  auth     {AUTH[settings.auth]}",
        f"  teams    {teams}",
        f"  state    {state}",
        f"  control  {control}",
        f"pixverse-emulator {__version__} running on {url}",
    ]
