"""serial_cpu: one torch thread inside the block (nested, per thread), restored after it."""

from __future__ import annotations

import threading

import torch

from core.device import serial_cpu


def test_one_thread_inside_restored_after_and_untouched_off_the_cpu():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with serial_cpu(torch.device("cpu")):
            assert torch.get_num_threads() == 1
            with serial_cpu(torch.device("cpu")):
                assert torch.get_num_threads() == 1
            assert torch.get_num_threads() == 1  # the outer block still runs
        assert torch.get_num_threads() == 2
        with serial_cpu(torch.device("cuda")):  # a GPU block leaves the CPU threads alone
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_another_threads_block_leaves_this_threads_count_alone():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    entered, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def other() -> None:
        with serial_cpu(torch.device("cpu")):
            seen.append(torch.get_num_threads())
            entered.set()
            release.wait(10)

    try:
        worker = threading.Thread(target=other)
        worker.start()
        entered.wait(10)
        assert seen == [1]
        assert torch.get_num_threads() == 2  # this thread (e.g. another session) keeps its two
        release.set()
        worker.join(10)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
