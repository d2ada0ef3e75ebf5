"""Bad input for the profiler's spans, the per-rank timeline and the fine-tuning helpers."""

from bad_inputs import Case

CASES = [
    Case("distributed.step_phases", lambda m: m.step_phases({}), "step_spans"),
    Case("distributed.plot_step_timeline", lambda m: m.plot_step_timeline([]), "results: expected the list"),
    Case("distributed.plot_step_timeline", lambda m: m.plot_step_timeline([{}]), "step_spans"),
    Case("pretrained.freeze_batchnorm", lambda m: m.freeze_batchnorm(3), "model: expected a torch.nn.Module"),
    Case("profiling.seconds_by_label", lambda m: m.seconds_by_label([3]), "spans: expected a non-empty list"),
    Case("profiling.wait_fraction", lambda m: m.wait_fraction([]), "spans: expected a non-empty list"),
    Case("profiling.wait_fraction", lambda m: m.wait_fraction([m.Span("data", 0.0, 1.0)], "zz"),
         "wait: expected one of the spans' labels"),
    Case("profiling.plot_timeline", lambda m: m.plot_timeline(3, {}), "ax: expected a matplotlib Axes"),
]

COVERED_ELSEWHERE = {
    "distributed.timed_all_reduce": "the DDP communication hook, called by DDP itself with its GradBucket; "
                                    "tested through ddp_worker in test_distributed.py",
}
