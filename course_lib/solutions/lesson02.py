"""Reference solutions for lesson 02 (GPU versus CPU)."""


def achieved_gflops(n: int, seconds: float) -> float:
    flops = 2 * n**3  # n*n dot products, each n multiplies and n adds
    return flops / seconds / 1e9


def arithmetic_intensity(op: str, n: int, bytes_per_element: int = 4) -> float:
    elements = n * n
    traffic = 3 * elements * bytes_per_element  # read two inputs, write one output
    flops = 2 * n**3 if op == "matmul" else elements
    return flops / traffic


def roofline(intensity: float, peak_gflops: float, bandwidth_gb_per_s: float) -> float:
    return min(peak_gflops, intensity * bandwidth_gb_per_s)


def honest_time(launch, synchronize, warmup=3, repeats=10):
    import statistics
    import time

    for _ in range(warmup):  # untimed: the first calls pay one-off start-up costs
        launch()
    synchronize()  # the warm-up work must be finished before the clock starts
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        launch()
        synchronize()  # launch() only queues the work: wait for the device to finish it
        times.append(time.perf_counter() - start)
    return statistics.median(times)
