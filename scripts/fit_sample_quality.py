"""What fitting FSRS on a sample of whole cards costs in quality (docs/benchmarks.md,
"Fitting on a sample of cards").

A learner whose memory IS FSRS-6 with known parameters (not the defaults) reviews
``--cards`` cards, each introduced on a day of the first year and reviewed until
day 730: at each review they recall with the model's probability, and press Again
if not, else Hard, Good or Easy (15/75/10 %). The intervals come from a scheduler
that does not know the learner (FSRS with the default parameters at retention 0.9,
times a log-normal factor: early and late reviews), so the history says something
about every part of the curve. Then FSRS is fitted on the whole history and on
``fit_rows``'s sample at each cap, and each set of parameters is scored (log loss,
RMSE(bins)) on the WHOLE history, as `optimize` scores them.

    python scripts/fit_sample_quality.py --cards 100000 --caps 300000,600000,700000
"""

from __future__ import annotations

import argparse
import math
import random
import time

import fsrs_rs_python as fsrs

from flashcards.fsrs import fitting

SEED = 20261203
# The learner's memory: FSRS-6's defaults with the first stabilities, the growth
# after a recall and the decay changed, so a fit has something to find.
TRUE_PARAMETERS = [float(x) for x in fsrs.DEFAULT_PARAMETERS]
TRUE_PARAMETERS[0:4] = [0.4, 1.6, 4.5, 12.0]
TRUE_PARAMETERS[8] = 1.2
TRUE_PARAMETERS[20] = 0.3
HORIZON = 730
GRADE_OF_RATING = {1: 1, 2: 3, 3: 4, 4: 5}
NAMES = {1: "again", 2: "hard", 3: "good", 4: "easy"}


def history(cards: int, rng: random.Random) -> list[list[fitting.Answer]]:
    learner, scheduler = fsrs.FSRS(TRUE_PARAMETERS), fsrs.FSRS(fsrs.DEFAULT_PARAMETERS)
    factor = 0.9 ** (-1.0 / TRUE_PARAMETERS[20]) - 1.0
    result = []
    for _ in range(cards):
        day = rng.randrange(365)
        rating = rng.choices((1, 2, 3, 4), weights=(30, 10, 50, 10))[0]
        memory = getattr(learner.next_states(None, 0.9, 0), NAMES[rating]).memory
        seen = getattr(scheduler.next_states(None, 0.9, 0), NAMES[rating])
        answers = [fitting.Answer(day, rating, GRADE_OF_RATING[rating])]
        while True:
            gap = max(1, round(seen.interval * math.exp(rng.gauss(0.0, 0.4))))
            if day + gap > HORIZON:
                break
            day += gap
            recall = (1.0 + factor * gap / memory.stability) ** -TRUE_PARAMETERS[20]
            rating = 1 if rng.random() >= recall else rng.choices((2, 3, 4), (15, 75, 10))[0]
            memory = getattr(learner.next_states(memory, 0.9, gap), NAMES[rating]).memory
            seen = getattr(scheduler.next_states(seen.memory, 0.9, gap), NAMES[rating])
            answers.append(fitting.Answer(day, rating, GRADE_OF_RATING[rating]))
        result.append(answers)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--caps", default="300000,600000,700000")
    args = parser.parse_args()
    started = time.perf_counter()
    data = fitting.prepare(history(args.cards, random.Random(SEED)))
    data.card_key = fitting.card_keys(fitting.card_key(f"note {index:08d}", 0)
                                      for index in range(data.card_count))
    print(f"{data.card_count:,} cards, {data.answers:,} answers, {data.size:,} reviews that "
          f"count, recalled {sum(data.recalled) / data.size:.3f} "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    everything = range(data.size)

    def report(name: str, parameters: list[float]) -> float:
        predicted = fitting.predict_fsrs(data, parameters)
        loss = fitting.log_loss(data.recalled, predicted)
        rmse = fitting.rmse_bins(data, everything, predicted)
        print(f"{name:<32} log loss {loss:.5f}  RMSE(bins) {rmse:.5f}", flush=True)
        return loss

    report("true parameters", TRUE_PARAMETERS)
    report("default parameters", fitting.DEFAULT_PARAMETERS)
    full = report(f"fitted on all {data.size:,}", fitting.fit(data, keep_reviews=True))
    for cap in (int(text) for text in args.caps.split(",")):
        rows = fitting.fit_rows(data, cap=cap)
        loss = report(f"fitted on {len(rows):,} (cap {cap:,})",
                      fitting.fit(data, rows, keep_reviews=True))
        print(f"{'':<32} log loss {100 * (loss - full) / full:+.3f} % of the full fit's",
              flush=True)


if __name__ == "__main__":
    main()
