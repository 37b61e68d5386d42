"""The same-workload model in SimPy 2.3 (Debian's python3-simpy), for bench/simpy.ts.

Nodes of 8 whole GPUs; jobs read from a CSV (submit_ms, gpus, dur_ms) in submit order; FIFO with
head-of-line blocking; first-fit (the lowest-index node with enough free GPUs). Prints one JSON
line: jobs, mean JCT (ms), GPU utilisation over the makespan (%), and the simulation's wall
and CPU time.
Usage: python3 simpy_model.py NODES JOBS_CSV
"""
import csv
import json
import sys
import time
from collections import deque

from SimPy.Simulation import Process, activate, hold, initialize, now, simulate

GPUS_PER_NODE = 8


def main():
    nodes = int(sys.argv[1])
    with open(sys.argv[2]) as f:
        rows = [(int(r[0]), int(r[1]), int(r[2])) for r in csv.reader(f) if r[0] != 'submit_ms']
    t0 = time.perf_counter()
    c0 = time.process_time()
    free = [GPUS_PER_NODE] * nodes
    queue = deque()
    jct = []
    busy = [0]
    last = [0]

    class Job(Process):
        def run(self, submit, gpus, dur, node):
            yield hold, self, dur
            free[node] += gpus
            jct.append(now() - submit)
            last[0] = max(last[0], now())
            try_start()

    def try_start():
        while queue:
            submit, gpus, dur = queue[0]
            node = next((i for i in range(nodes) if free[i] >= gpus), -1)
            if node < 0:
                return
            queue.popleft()
            free[node] -= gpus
            busy[0] += gpus * dur
            j = Job()
            activate(j, j.run(submit, gpus, dur, node))

    class Source(Process):
        def run(self):
            for submit, gpus, dur in rows:
                yield hold, self, submit - now()
                queue.append((submit, gpus, dur))
                try_start()

    initialize()
    s = Source()
    activate(s, s.run())
    simulate(until=10**15)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    span = last[0] - rows[0][0]
    print(json.dumps({
        'jobs': len(jct),
        'jctMeanMs': sum(jct) / len(jct),
        'utilPct': 100.0 * busy[0] / (nodes * GPUS_PER_NODE * span),
        'wallS': wall,
        'cpuS': cpu,
    }))


main()
