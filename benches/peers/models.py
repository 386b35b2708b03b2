"""The two reference models of BENCHMARKS.md, written for SimPy and for Ciw.

Each function runs one replication and returns (mean wait for a place at the first service,
mean time a patient is blocked after service at the first service), over patients who started
service (waits) or finished service (blocking) before the horizon, as bcfsim counts them.
"""

import math
import random

import ciw
import simpy

MMC = dict(horizon=1111.11, rate=9.0, servers=10, mean_service=1.0)
BLOCKING = dict(
    horizon=3333.33,
    rate=3.0,
    beds=20,
    los=(5.0, 3.0),
    to_reablement=0.3,
    reablement=12,
    reablement_stay=(10.0, 5.0),
)


def lognormal_parameters(mean, sd):
    """The (mu, sigma) of the normal whose exponential has this mean and standard deviation."""
    sigma2 = math.log(1.0 + (sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def ratio(total, count):
    return total / count if count else float("nan")


def simpy_mmc(seed):
    m = MMC
    rng = random.Random(seed)
    env = simpy.Environment()
    unit = simpy.Resource(env, capacity=m["servers"])
    waits = [0.0, 0]

    def customer():
        arrived = env.now
        with unit.request() as request:
            yield request
            waits[0] += env.now - arrived
            waits[1] += 1
            yield env.timeout(rng.expovariate(1.0 / m["mean_service"]))

    def source():
        while True:
            yield env.timeout(rng.expovariate(m["rate"]))
            env.process(customer())

    env.process(source())
    env.run(until=m["horizon"])
    return ratio(*waits), 0.0


def simpy_blocking(seed):
    m = BLOCKING
    rng = random.Random(seed)
    los = lognormal_parameters(*m["los"])
    stay = lognormal_parameters(*m["reablement_stay"])
    env = simpy.Environment()
    beds = simpy.Resource(env, capacity=m["beds"])
    reablement = simpy.Resource(env, capacity=m["reablement"])
    waits = [0.0, 0]
    blocked = [0.0, 0]

    def patient():
        arrived = env.now
        bed = beds.request()
        yield bed
        waits[0] += env.now - arrived
        waits[1] += 1
        yield env.timeout(rng.lognormvariate(*los))
        blocked[1] += 1
        if rng.random() < m["to_reablement"]:
            ready = env.now
            place = reablement.request()
            yield place
            blocked[0] += env.now - ready
            beds.release(bed)
            yield env.timeout(rng.lognormvariate(*stay))
            reablement.release(place)
        else:
            beds.release(bed)

    def source():
        while True:
            yield env.timeout(rng.expovariate(m["rate"]))
            env.process(patient())

    env.process(source())
    env.run(until=m["horizon"])
    return ratio(*waits), ratio(*blocked)


def ciw_first_node(simulation):
    records = [r for r in simulation.get_all_records() if r.node == 1]
    waits = [r.waiting_time for r in records]
    blocked = [r.time_blocked for r in records]
    return ratio(sum(waits), len(waits)), ratio(sum(blocked), len(blocked))


def ciw_mmc(seed):
    m = MMC
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=m["rate"])],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / m["mean_service"])],
        number_of_servers=[m["servers"]],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(m["horizon"])
    return ciw_first_node(simulation)


def ciw_blocking(seed):
    m = BLOCKING
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=m["rate"]), None],
        service_distributions=[
            ciw.dists.Lognormal(*lognormal_parameters(*m["los"])),
            ciw.dists.Lognormal(*lognormal_parameters(*m["reablement_stay"])),
        ],
        routing=[[0.0, m["to_reablement"]], [0.0, 0.0]],
        number_of_servers=[m["beds"], m["reablement"]],
        queue_capacities=[float("inf"), 0],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(m["horizon"])
    return ciw_first_node(simulation)


ENGINES = {
    ("simpy", "mmc"): simpy_mmc,
    ("simpy", "blocking"): simpy_blocking,
    ("ciw", "mmc"): ciw_mmc,
    ("ciw", "blocking"): ciw_blocking,
}
