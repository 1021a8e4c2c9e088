"""The benchmark suite behind ``benchmarks/bench.py``, in four parts a reader can take in order.

* :mod:`convbench.environment`: threads, allocator, libraries, BLAS (threadpoolctl), machine facts;
* :mod:`convbench.workloads`: the shapes timed and one callable per implementation;
* :mod:`convbench.runners`: interleaved timing, the layer/long-kernel/GPU runs, memory probes;
* :mod:`convbench.report`: the targets of the speed issues and the Markdown report.
"""
