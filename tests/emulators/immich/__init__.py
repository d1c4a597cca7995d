"""Immich API emulator for tests: ``start_emulator()`` in-process, or ``python -m tests.emulators.immich``."""

from .server import ImmichEmulator, start_emulator

__all__ = ['ImmichEmulator', 'start_emulator']
