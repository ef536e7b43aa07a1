"""The launcher: from the command line's options to a running desk.

- :mod:`.config`: the user's ``config.toml`` (profiles, thresholds, keymap);
- :mod:`.target`: the launch options, the endpoint (:class:`Target`), per-endpoint files;
- :mod:`.sandbox`: the embedded sandbox's child process, seen from the desk;
- :mod:`.build`: config + options -> target, the service, the endpoint probe;
- :mod:`.desk`: :func:`run_desk`.

It sits above the app (it builds the service and hands it to ``CollateralApp``); nothing below
it imports it. The command line itself is ``tui.cli``.
"""

from .build import build_service, endpoint_target, load_launch_config, probe, resolve_target
from .desk import run_desk
from .sandbox import SANDBOX_CHILD_ARG, SandboxProcess, start_embedded_sandbox
from .target import (
    LaunchError,
    LaunchOptions,
    Target,
    embedded_state_path,
    nonce_path,
    pending_orders_path,
)

__all__ = [
    "SANDBOX_CHILD_ARG",
    "LaunchError",
    "LaunchOptions",
    "SandboxProcess",
    "Target",
    "build_service",
    "embedded_state_path",
    "endpoint_target",
    "load_launch_config",
    "nonce_path",
    "pending_orders_path",
    "probe",
    "resolve_target",
    "run_desk",
    "start_embedded_sandbox",
]
