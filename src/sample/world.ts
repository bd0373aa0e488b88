/**
 * The world around the listener, drawn lazily in time order from the simulation's stream:
 * trips abroad (conn_country) and bursts of ConnectionError events in the technical log.
 * Queries must come with non-decreasing times.
 */
import { Rand } from "./rand";
import { CONNECTION_ERROR_WINDOW_MS, PROFILE_COUNTRY, TRIP_COUNTRIES } from "./signal";
import { T_CONN_ERR, TechEvent } from "./tech-writer";
import { DAY_MS, HOUR_MS } from "./time";

export class World {
  /** ConnectionError bursts drawn so far. */
  bursts = 0;
  private nextBurst: number;
  private readonly errorTimes: number[] = [];
  private errorIdx = 0;
  private tripStart: number;
  private tripEnd: number;
  private tripCountry: string;

  /** Appends the ConnectionError events it draws to `events`. */
  constructor(
    private readonly rng: Rand,
    startMs: number,
    private readonly events: TechEvent[],
  ) {
    this.nextBurst = startMs - 2 * DAY_MS + rng.exp(4 * DAY_MS);
    this.tripStart = startMs + rng.exp(70 * DAY_MS);
    this.tripEnd = this.tripStart + rng.int(3, 10) * DAY_MS;
    this.tripCountry = rng.pick(TRIP_COUNTRIES);
  }

  /** conn_country at `t`: the profile country, or a trip's country (a few days every ~10 weeks). */
  countryAt(t: number): string {
    const rng = this.rng;
    while (t >= this.tripEnd) {
      this.tripStart = this.tripEnd + rng.exp(70 * DAY_MS);
      this.tripEnd = this.tripStart + rng.int(3, 10) * DAY_MS;
      this.tripCountry = rng.pick(TRIP_COUNTRIES);
    }
    return t >= this.tripStart ? this.tripCountry : PROFILE_COUNTRY;
  }

  /** Draws every burst of 1-3 ConnectionError events that starts at or before `upTo` (every ~4 days). */
  ensureBursts(upTo: number): void {
    const rng = this.rng;
    while (this.nextBurst <= upTo) {
      const n = rng.int(1, 3);
      const times: number[] = [];
      for (let i = 0; i < n; i++) times.push(Math.floor(this.nextBurst + rng.next() * HOUR_MS));
      times.sort((a, b) => a - b);
      for (const t of times) {
        this.errorTimes.push(t);
        this.events.push({ type: T_CONN_ERR, t, device: 0, country: this.countryAt(t), aux: 0 });
      }
      this.bursts++;
      this.nextBurst += HOUR_MS + rng.exp(4 * DAY_MS);
    }
  }

  /** Was there a ConnectionError in [t - 24 h, t)? */
  connectionErrorBefore(t: number): boolean {
    this.ensureBursts(t);
    while (this.errorIdx < this.errorTimes.length && this.errorTimes[this.errorIdx] < t) this.errorIdx++;
    return this.errorIdx > 0 && t - this.errorTimes[this.errorIdx - 1] <= CONNECTION_ERROR_WINDOW_MS;
  }
}
