/**
 * What one sandbox run leaves behind, in WORLD seconds since the replay's trace t = 0 (the CLI's adapter converts
 * the stand-in's and the sandbox's own records into this). Everything in the report is computed from it, so a hand-made
 * run is all a test needs.
 */
export interface RecordedRun {
  readonly trace: {
    readonly name: string;
    /** Jobs of the replayed cut in the fleet's queue. */
    readonly jobs: number;
    /** The cut, in world seconds. */
    readonly cutSec: number;
    /** Where in the trace the cut starts (its t = 0 is this point of the trace), in world seconds. */
    readonly fromSec: number;
    /** Wall-clock time of trace t = 0 (epoch ms), for chart labels. */
    readonly startEpochMs: number;
  };
  readonly queue: string;
  readonly policy: string;
  /** World seconds per real second. */
  readonly timeScale: number;
  /** When the run stopped. */
  readonly endSec: number;
  /** The fleet had scaled in to rest (nothing in service, nothing queued) when the run stopped. */
  readonly atRest: boolean;
  readonly jobs: readonly RecordedJob[];
  readonly samples: readonly RecordedSample[];
  readonly instances: readonly RecordedInstance[];
  readonly scalingActions: readonly RecordedScalingAction[];
  /** How late (world seconds) jobs reached the stand-in against their trace time: the machine's lag. */
  readonly replayLagSec: { readonly mean: number; readonly max: number };
  /** Scaling passes the real scaler completed (its `scaling decision` records). */
  readonly scalerPasses?: number;
  /** Median real seconds between the scheduled invocation's consecutive passes (its poll interval + a pass's time). */
  readonly scheduledPassGapRealSec?: number;
  /** The machine's 1-minute load average at the end and its cores: how loaded the wall clock was. */
  readonly machine?: { readonly loadAverage: number; readonly cores: number };
}

export interface RecordedJob {
  readonly id: string;
  readonly queue: string;
  readonly state: string;
  readonly scheduledAtSec?: number;
  readonly startedAtSec?: number;
  readonly finishedAtSec?: number;
  /** The job did not finish with its own exit status (stand-in contract). */
  readonly interrupted: boolean;
  /** How long the trace says the job runs, world seconds (what the simulator runs it for). */
  readonly traceDurationSec?: number;
}

/** One `Sandbox.sample()`: the queue from the stand-in, the group from moto. */
export interface RecordedSample {
  readonly atSec: number;
  readonly scheduled: number;
  readonly running: number;
  readonly waiting: number;
  readonly desired: number;
  readonly inService: number;
  readonly warm: number;
  /** Connected agents. */
  readonly agents: number;
}

/** An instance's running (billed) intervals; an open interval runs to the end of the run. */
export interface RecordedInstance {
  readonly id: string;
  readonly running: readonly { readonly fromSec: number; readonly toSec?: number }[];
}

export interface RecordedScalingAction {
  readonly atSec: number;
  /** e.g. `SetDesiredCapacity`, `TerminateInstanceInAutoScalingGroup`, `PutWarmPool`. */
  readonly kind: string;
}
