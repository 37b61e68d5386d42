/**
 * NVIDIA Multi-Instance GPU profile tables (NVIDIA MIG User Guide, "Supported MIG Profiles", and
 * the placements `nvidia-smi mig -lgipp` prints). A MIG-capable GPU has 8 memory slices, numbered
 * 0..7; a GPU-instance profile occupies `size` consecutive memory slices and `compute` of the 7
 * compute slices, and may only start at one of `starts`. Two instances are compatible when their
 * memory-slice ranges do not overlap; with these tables that also keeps the compute slices ≤ 7.
 * The media-extension variants (`+me`) are left out: they share the 1g placements and differ only
 * in decoders. Pure data.
 */

export interface MigProfile {
  readonly name: string;
  /** Compute slices (of 7). */
  readonly compute: number;
  /** Memory slices (of 8) the instance occupies: its width in placement slots. */
  readonly size: number;
  /** Valid start slots (first memory slice). */
  readonly starts: readonly number[];
}

export interface MigModel {
  readonly model: string;
  readonly slots: number;
  readonly profiles: readonly MigProfile[];
}

/**
 * The three supported GPUs share one geometry; only the memory in the profile names differs
 * (`gb` = GB per memory slice: 5 on A100-40GB, 10 on A100-80GB and H100-80GB):
 * 1g.(1×gb) ×7 at 0..6, 1g.(2×gb) ×4 at 0,2,4,6, 2g.(2×gb) ×3 at 0,2,4, 3g.(4×gb) ×2 at 0,4,
 * 4g.(4×gb) ×1 at 0, 7g.(8×gb) ×1 at 0.
 */
function eightSliceModel(model: string, gb: number): MigModel {
  const p = (compute: number, size: number, starts: number[]): MigProfile => ({ name: `${compute}g.${size * gb}gb`, compute, size, starts });
  return {
    model,
    slots: 8,
    profiles: [p(1, 1, [0, 1, 2, 3, 4, 5, 6]), p(1, 2, [0, 2, 4, 6]), p(2, 2, [0, 2, 4]), p(3, 4, [0, 4]), p(4, 4, [0]), p(7, 8, [0])],
  };
}

/** Profiles per MIG-capable GPU model, keyed by the model name a scenario uses. */
export const MIG_MODELS: Readonly<Record<string, MigModel>> = {
  // A100-SXM4-40GB: 1g.5gb ×7, 1g.10gb ×4, 2g.10gb ×3, 3g.20gb ×2, 4g.20gb ×1, 7g.40gb ×1.
  'A100-40GB': eightSliceModel('A100-40GB', 5),
  // A100-SXM4-80GB: the same geometry with doubled memory in the names.
  'A100-80GB': eightSliceModel('A100-80GB', 10),
  // H100-80GB (SXM5/PCIe): 1g.10gb ×7, 1g.20gb ×4, 2g.20gb ×3, 3g.40gb ×2, 4g.40gb ×1, 7g.80gb ×1.
  'H100-80GB': eightSliceModel('H100-80GB', 10),
};

export const MIG_MODEL_NAMES: readonly string[] = Object.keys(MIG_MODELS).sort();

/** Milli-GPU an instance accounts for: its share of the 8 memory slices (1 slice = 125). */
export const MILLI_PER_SLOT = 125;

export function migModel(model: string): MigModel | undefined {
  return MIG_MODELS[model];
}

export function migProfile(model: string, profile: string): MigProfile | undefined {
  return MIG_MODELS[model]?.profiles.find((q) => q.name === profile);
}

/** Every profile name known on any model, sorted (for schema validation). */
export const MIG_PROFILE_NAMES: readonly string[] = [
  ...new Set(Object.values(MIG_MODELS).flatMap((m) => m.profiles.map((q) => q.name))),
].sort();
