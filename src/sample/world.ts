/**
 * The world around the listener, drawn lazily in time order from the simulation's stream:
 * trips abroad (conn_country) and bursts of ConnectionError events in the technical log.
 * Queries must come with non-decreasing times.
 */
import { Rand } from "./rand";
import { CONNECTION_ERROR_WINDOW_MS, COUNTRY_ZONE, LONG_STAY_DAYS, LONG_STAY_SHARE, PROFILE_COUNTRY, TRIP_COUNTRIES, TRIP_DAYS, TRIP_GAP_MEAN_DAYS } from "./signal";
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
    this.tripStart = 0;
    this.tripEnd = startMs;
    this.tripCountry = PROFILE_COUNTRY;
    this.nextTrip();
  }

  /** The next trip after the current one: a few days, or now and then a stay of weeks. */
  private nextTrip(): void {
    const rng = this.rng;
    this.tripStart = this.tripEnd + rng.exp(TRIP_GAP_MEAN_DAYS * DAY_MS);
    const [lo, hi] = rng.chance(LONG_STAY_SHARE) ? LONG_STAY_DAYS : TRIP_DAYS;
    this.tripEnd = this.tripStart + rng.int(lo, hi) * DAY_MS;
    this.tripCountry = rng.pick(TRIP_COUNTRIES);
  }

  /** conn_country at `t`: the profile country, or a trip's country. */
  countryAt(t: number): string {
    while (t >= this.tripEnd) this.nextTrip();
    return t >= this.tripStart ? this.tripCountry : PROFILE_COUNTRY;
  }

  /** The IANA zone the listener's clock follows at `t` (that of conn_country). */
  zoneAt(t: number): string {
    return COUNTRY_ZONE[this.countryAt(t)];
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
