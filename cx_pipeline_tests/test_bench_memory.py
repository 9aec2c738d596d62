"""The benchmark's per-step memory (benchmarks/measure.py): a step's peak is exact, not the size
at the instant of a sample, so a spike between two samples still counts."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

MEASURE = Path(__file__).resolve().parents[1] / "benchmarks" / "measure.py"
MIB = 1024**2


def _measure_module():
    spec = importlib.util.spec_from_file_location("bench_measure", MEASURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_spike_between_samples_is_the_steps_peak() -> None:
    sampler_class = _measure_module().RssSampler
    with sampler_class(interval=2.0) as rss:  # one sample at the start, the next 2 s later
        if not rss.exact:
            pytest.skip("this kernel refuses to reset the high-water mark (/proc/self/clear_refs)")
        time.sleep(0.2)
        started = time.time()
        spike = bytearray(300 * MIB)  # zero pages: resident once written
        spike[::4096] = b"\1" * len(range(0, len(spike), 4096))
        del spike  # gone long before the next sample
        ended = time.time()
    start, peak, after = rss.during(started, ended)
    assert peak - start >= 250 * MIB
    assert after < peak - 250 * MIB
