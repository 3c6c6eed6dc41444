/* array: a quantized network on a weight-stationary N x N systolic array,
 * streamed exactly as the hardware sees it, and the transition statistics that
 * power characterization needs (PowerPruning section III-A, Fig. 4).
 *
 * ---- Array model (documented choices) -------------------------------------
 * - N x N PEs (N = opts.size, 64 by default). One integer product of the nn
 *   hook (pp_nn_qgemm: W is M x K, X is K x N_out, ACC = W X) is tiled into
 *   N x N weight tiles: K along rows, M along columns; PE(r, c) of tile
 *   (kt, mt) holds w[m = mt*N + c][k = kt*N + r]. A tile uses R = min(N, K -
 *   kt*N) rows and C = min(N, M - mt*N) columns; the other PEs are unused.
 * - Tile order: for each column block mt, for each row block kt (the output
 *   buffer below the array accumulates the K-tiles of one column block).
 *   Partial sums enter every column at the top as 0 in every tile; the output
 *   buffer adds the tile results (so the partial sums inside the array are
 *   tile-local and fit in psum_bits = 1 + ceil(log2(N*127*255 + 1)) bits,
 *   22 for N = 64).
 * - Streaming: input vector n (column n of X) enters row r at cycle n + r
 *   (skew), activations move right one PE per cycle, partial sums move down
 *   one PE per cycle; PE(r, c) handles vector n in cycle n + r + c, and the
 *   results leave the bottom of the array (after passing unused rows) in
 *   cycle n + N - 1 + c. A tile therefore takes N cycles of weight loading
 *   (one row per cycle, not overlapped with streaming) and N_out + N + C - 2
 *   streaming cycles, of which N + C - 2 are fill/drain.
 * - Valid-gated registers: a PE's activation and partial-sum input registers
 *   load only when valid data arrives for it (data-valid gating); PEs in
 *   unused rows or columns never load (clock/power gated), except that the
 *   partial-sum registers of unused rows below the tile pass results down.
 *   Between two data items (fill, drain, weight loading, other tiles, other
 *   layers and images) the registers hold their last value. Registers reset
 *   to 0 at the start of a run.
 * - Statistics counting rule: at every active PE-cycle (a PE in a used row and
 *   used column receiving a data item) one activation transition
 *   (previous register value -> new value) and one partial-sum transition are
 *   counted, and one MAC of that PE's weight value. The first item a PE sees
 *   in a tile therefore counts a transition from the last value it held
 *   (from an earlier tile, layer or image; 0 after reset). Zero weights in
 *   used positions are active (they are the MACs clock gating would save).
 * - Images are streamed one at a time, as the nn hook delivers them: a conv
 *   layer streams its N_out = H_out*W_out output positions; an FC layer
 *   streams N_out = 1 vector per image (every tile is loaded per image).
 * - Grouped/depthwise products (groups > 1, each group mg = M/groups rows by
 *   K): gp = min(floor(N/K), floor(N/mg)) consecutive groups are packed
 *   block-diagonally into one product of gp*mg columns by gp*K rows (group j
 *   in rows j*K.. and columns j*mg..; the other PEs of the block hold weight
 *   0 and are active). When K > N or mg > N, gp = 1 and each group is tiled on
 *   its own. Depthwise 3x3 on a 64 x 64 array: 7 channels per tile block.
 *
 * ---- Partial-sum bins (PowerPruning III-A2) --------------------------------
 * Values are psum_bits-bit two's complement words. Bins are built from the
 * partial-sum values of a calibration pass (the reservoir of sampled
 * transitions): the distinct values are shuffled with the seed; the first B
 * become the initial members of the B bins; every other value joins the bin
 * with the smallest average Hamming distance to its members (ties: lowest
 * bin), computed in O(psum_bits) per bin from per-bin per-bit member counts.
 * The bins are then numbered by the mean value of their members (ascending;
 * empty bins last), so bin-transition heat maps read like value maps.
 * The final bins classify every value by the same rule (a table over the
 * 2^psum_bits words, each entry computed in O(B) on first use from per-bin
 * distance tables of the two half words).
 *
 * ---- Engines ----------------------------------------------------------------
 * The fast engine computes each PE's value sequences in closed form (the
 * activation sequence of PE(r, c) in a tile is row r of X, the same for every
 * column; the partial-sum sequence is the running column sum), with OpenMP
 * across columns and integer (order-independent) merging. opts.naive selects
 * the cycle-accurate reference: every register of every PE simulated cycle by
 * cycle. Both give identical statistics (tested). */
#ifndef PP_ARRAY_H
#define PP_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "pp/nn.h"
#include "pp/util.h"

#define PP_ARRAY_STATS_VERSION 1
#define PP_ARRAY_MAX_SIZE 512
#define PP_ARRAY_MAX_BINS 255

typedef struct pp_array_opts {
  int size;          /* N: array is N x N PEs (default 64; 1..PP_ARRAY_MAX_SIZE) */
  int bins;          /* B partial-sum bins (default 50; 1..PP_ARRAY_MAX_BINS) */
  int reservoir;     /* sampled (a, psum) transition tuples kept (default 100000) */
  int calib_images;  /* images of the bin-building pass in pp_array_trace (default 5) */
  uint64_t seed;     /* reservoir, bin construction */
  int per_layer;     /* also keep activation and bin histograms per layer */
  int naive;         /* use the cycle-accurate reference engine (slow) */
  int progress;      /* pp_array_trace: progress/ETA on stderr when it is a terminal */
} pp_array_opts;
void pp_array_opts_defaults(pp_array_opts *o);

/* One sampled transition at a PE's inputs: activation a_old -> a_new and
 * partial sum p_old -> p_new in the same cycle. */
typedef struct pp_array_tuple {
  uint8_t a_old, a_new;
  int32_t p_old, p_new;
} pp_array_tuple;

/* Counters of a run or a layer. */
typedef struct pp_array_counts {
  uint64_t gemms;             /* integer products streamed (per image, per layer) */
  uint64_t tiles;             /* tile loads */
  uint64_t macs;              /* active PE-cycles (= array MAC operations, packed zeros included) */
  uint64_t useful_macs;       /* sum over products of M*K*N_out (the network's own MACs) */
  uint64_t zero_macs;         /* active PE-cycles with weight 0 */
  uint64_t load_cycles;       /* weight loading */
  uint64_t stream_cycles;     /* streaming, fill and drain included */
  uint64_t fill_drain_cycles; /* the part of stream_cycles without a new input vector */
  uint64_t unused_rows;       /* sum over tiles of N - R */
  uint64_t unused_cols;       /* sum over tiles of N - C */
  uint64_t outputs;           /* output values compared with the nn accumulator */
  uint64_t mismatches;        /* of those, different (0 = bit exact) */
  uint64_t weights, zero_weights; /* static weights of each product, counted once per layer */
} pp_array_counts;

typedef struct pp_array_layer {
  char name[48];
  int layer, kind, groups, M, K, N; /* as in pp_nn_qgemm */
  pp_array_counts c;
  uint64_t *act_hist; /* per-layer 256x256 (opts.per_layer), else NULL */
  uint64_t *bin_hist; /* per-layer B x B (opts.per_layer), else NULL */
} pp_array_layer;

typedef struct pp_array_binlut pp_array_binlut;
typedef struct pp_array_stats {
  int size, bins, psum_bits;
  uint64_t seed;
  uint64_t images;               /* images streamed in the counting pass */
  pp_array_counts c;             /* totals */
  uint64_t act_hist[256 * 256];  /* [prev*256 + next] activation transitions */
  uint64_t *bin_hist;            /* [from*bins + to] partial-sum bin transitions, bins^2 */
  uint64_t mac_per_weight[255];  /* active PE-cycles per weight value w (index w+127) */
  /* bins: members[b] values built bin b; bitcount[b*psum_bits + i] of them have bit i set */
  uint32_t *bin_members;
  uint32_t *bin_bitcount;
  int32_t *bin_seed;             /* initial member of each bin */
  /* values to draw from each bin (the reservoir's partial sums, classified):
   * bin b owns bin_vals[bin_off[b] .. bin_off[b+1]) */
  uint32_t *bin_off;             /* bins + 1 */
  int32_t *bin_vals;
  /* seeded reservoir of transition tuples over all active PE-cycles */
  pp_array_tuple *res;
  uint32_t nres;
  uint64_t events;               /* active PE-cycles the reservoir saw */
  int nlayers;
  pp_array_layer *layers;
  struct pp_array_binlut *lut;   /* not saved: bin of each psum word, filled on demand */
} pp_array_stats;

/* psum_bits for an N x N array. */
int pp_array_psum_bits(int size);
void pp_array_stats_free(pp_array_stats *s);
/* Bin of a partial-sum value by the minimum average Hamming distance rule. */
int pp_array_psum_bin(pp_array_stats *s, int32_t value);
/* Bins from a set of partial-sum values (see above): fills bins/members/
 * bitcount/seed of s (s->bins and s->psum_bits set by the caller). */
int pp_array_bins_build(pp_array_stats *s, const int32_t *values, size_t n, uint64_t seed, pp_err *e);

/* Statistics file, format "PPARRAY" version 1 (little-endian, see
 * docs/array-stats.md): header, totals, histograms, bins, reservoir, per-layer
 * records, CRC-32 of everything before it. Errors name the file and what was
 * expected at which byte offset. */
int pp_array_stats_write(const pp_array_stats *s, const char *path, pp_err *e);
int pp_array_stats_read(const char *path, pp_array_stats **out, pp_err *e);
/* Human/machine summary: JSON, "format": "powerprune-array-stats/1". */
int pp_array_stats_write_json(const pp_array_stats *s, const char *path, pp_err *e);
/* Fig. 4 heat maps through module plot: <dir>/act_transitions.{svg,png} and
 * <dir>/psum_bin_transitions.{svg,png} (log colour, probabilities), and
 * <dir>/mac_per_weight.{svg,png}. */
int pp_array_plot(const pp_array_stats *s, const char *dir, pp_err *e);

/* Draws T tuples: (a_old, a_new) from the activation-transition histogram,
 * (bin_old, bin_new) independently from the bin-transition distribution, then
 * p_old and p_new uniformly among the recorded values of those bins (the
 * bin's initial member when it has none). Seeded. PP_EINVAL when the
 * statistics hold no transitions. */
int pp_array_sample_transitions(const pp_array_stats *s, size_t T, uint64_t seed, pp_array_tuple *out,
                                pp_err *e);
/* Draws T tuples uniformly from the reservoir (joint activation/psum samples). */
int pp_array_sample_reservoir(const pp_array_stats *s, size_t T, uint64_t seed, pp_array_tuple *out,
                              pp_err *e);

/* ---- the simulator ------------------------------------------------------- */
typedef struct pp_array_sim pp_array_sim;
int pp_array_sim_create(const pp_array_opts *o, pp_array_sim **out, pp_err *e);
void pp_array_sim_free(pp_array_sim *sim);
/* Streams one integer product through the array, updates the statistics and
 * compares the outputs with g->acc (when not NULL). Until bins are set the
 * partial-sum bin histogram is not counted (calibration). */
int pp_array_sim_gemm(pp_array_sim *sim, const pp_nn_qgemm *g, pp_err *e);
/* Adapter for pp_nn_qrun: ctx is the pp_array_sim. */
int pp_array_sim_hook(const pp_nn_qgemm *g, void *ctx);
/* Ends calibration: builds the bins from the partial sums seen so far, then
 * resets statistics, reservoir and PE registers for the counting pass. */
int pp_array_sim_calibrate(pp_array_sim *sim, pp_err *e);
/* Uses the bins of an earlier statistics object instead (same size and bins). */
int pp_array_sim_set_bins(pp_array_sim *sim, const pp_array_stats *from, pp_err *e);
/* "" when every output matched so far, else where the first mismatch was. */
const char *pp_array_sim_first_mismatch(const pp_array_sim *sim);
/* The error that made pp_array_sim_hook return non-zero (status PP_OK if none). */
const pp_err *pp_array_sim_hook_error(const pp_array_sim *sim);
/* Counts one image (for stats.images). */
void pp_array_sim_image_done(pp_array_sim *sim);
/* The statistics so far (owned by sim; finalized: per-bin values filled). */
pp_array_stats *pp_array_sim_stats(pp_array_sim *sim);
/* Hands the statistics over to the caller (sim keeps none afterwards). */
pp_array_stats *pp_array_sim_take_stats(pp_array_sim *sim);

/* Whole flow on a model: calibration pass over the first min(count,
 * calib_images) images, counting pass over images [first, first+count) of d.
 * *out receives the statistics (caller frees). */
int pp_array_trace(const pp_nn_qmodel *q, const pp_nn_data *d, int first, int count, const pp_array_opts *o,
                   pp_array_stats **out, pp_err *e);

#endif
