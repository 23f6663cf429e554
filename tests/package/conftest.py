"""Shared fixtures: the repository root, the built C command, real dev-set clips."""
import glob
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEVSET = os.path.join(ROOT, "..", "shared", "data", "devset")
CLI = os.path.join(ROOT, "build", "statewave")


@pytest.fixture(scope="session")
def noisy_clips():
    clips = sorted(glob.glob(os.path.join(DEVSET, "noisy", "*.flac")))
    if len(clips) < 20:
        pytest.fail(f"the dev set is missing: {DEVSET}/noisy/*.flac (../shared/data)")
    return clips
