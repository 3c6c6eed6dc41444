/* nn: a small training and quantized-inference engine in the style of llm.c.
 *
 * Float training (conv/fc/pool/batch-norm/ReLU/residual add, SGD or Adam),
 * quantization-aware training (weights symmetric int8, 255 levels -127..127;
 * activations uint8, 256 levels, zero point 0), magnitude pruning with masks,
 * restriction of weights/activations to allowed value sets, and a true integer
 * inference path whose every matrix product is shown to a hook, which is how
 * the systolic-array simulator (module array) sees the network.
 *
 * Tensors are float, laid out C x B x H x W (channel outermost, then the
 * image in the batch) so that a whole batch's convolution is one GEMM.
 * All parameters live in one float buffer, all gradients in another.
 *
 * Threads: one pool, OpenMP's (OMP_NUM_THREADS). nn sets OpenBLAS to one
 * thread (process-wide) and splits each batch over OpenMP threads itself.
 * Results are bit-identical run to run for a given thread count. On a shared
 * machine, OMP_WAIT_POLICY=passive keeps idle threads from spinning. */
#ifndef PP_NN_H
#define PP_NN_H

#include <stddef.h>
#include <stdint.h>

#include "pp/util.h"

/* ========================================================================
 * The integer-product hook (stable interface used by module array)
 * ======================================================================== */
enum { PP_NN_QGEMM_CONV = 0, PP_NN_QGEMM_FC = 1, PP_NN_QGEMM_DEPTHWISE = 2 };

typedef struct pp_nn_qgemm { /* one layer's integer product, per image */
  int layer;                 /* index of the layer in the model (pp_nn_model layer list) */
  const char *name;          /* e.g. "conv1", "fc3", "stage2.block1.conv2" */
  int kind;                  /* PP_NN_QGEMM_CONV, _FC, _DEPTHWISE */
  int groups;                /* 1, or channels for depthwise (then each group is M/groups x K) */
  int M, K, N;               /* out channels, reduction length per group (Cin/groups*kh*kw), output positions */
  const int8_t *w;           /* M x K row-major, weight integer levels in -127..127 */
  const uint8_t *x;          /* groups x K x N: im2col'd uint8 input (zero padding = value 0) */
  const int32_t *acc;        /* M x N: sum_k w*x, the raw accumulator BEFORE bias and requantization */
} pp_nn_qgemm;
/* Called once per integer product, from one thread, in a deterministic order:
 * image by image (in index order), and within an image layer by layer in
 * model order. Non-zero return aborts the run (pp_nn_qrun returns PP_ECHECK
 * unless the hook set an error itself). For group g, the rows are
 * w[(g*M/groups) .. ((g+1)*M/groups - 1)] and the input is x + g*K*N.
 * For FC layers N == 1, K == input features, groups == 1. The pointers are
 * valid only during the call. */
typedef int (*pp_nn_qgemm_hook)(const pp_nn_qgemm *g, void *ctx); /* non-zero return aborts */

/* ========================================================================
 * Data sets
 * ======================================================================== */
typedef struct pp_nn_data {
  char name[64];   /* "fashion-mnist", "cifar10", "cifar100", "synthetic", or the path */
  int n;           /* images */
  int c, h, w;     /* image shape */
  int classes;     /* number of labels */
  uint8_t *x;      /* n x c x h x w pixels 0..255 (value = pixel/255) */
  uint8_t *y;      /* n labels in 0..classes-1 */
} pp_nn_data;

/* Default location of Debian's dataset-fashion-mnist. */
#define PP_NN_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Loads the train and test split of a data set.
 *  name: "fashion-mnist" (IDX files train-images-idx3-ubyte[.gz] ... in dir, or
 *        PP_NN_FASHION_MNIST_DIR when dir is NULL), "mnist" (same file names),
 *        "cifar10" (data_batch_1..5.bin, test_batch.bin in dir),
 *        "cifar100" (train.bin, test.bin in dir, fine labels),
 *        "synthetic" (seeded, small: see pp_nn_data_synthetic), or a directory
 *        path holding IDX or CIFAR files (the kind is detected; such an IDX
 *        set has as many classes as its largest training label + 1, and a
 *        class no training image has is PP_EPARSE).
 * IDX files may be gzip-compressed or plain; headers, sizes and the image
 * and label counts are validated: a truncated or mismatched file gives
 * PP_EPARSE with the file and what was expected. */
int pp_nn_data_load(const char *name, const char *dir, pp_nn_data *train, pp_nn_data *test,
                    pp_err *e);
/* One IDX image file and its label file (either may be .gz), of a set with
 * PP_NN_IDX_CLASSES classes (Fashion-MNIST, MNIST): a label outside
 * 0..classes-1 is PP_EPARSE naming the image and byte. The _n form takes the
 * class count (2..256) for other IDX sets. */
#define PP_NN_IDX_CLASSES 10
int pp_nn_data_load_idx(const char *images, const char *labels, pp_nn_data *d, pp_err *e);
int pp_nn_data_load_idx_n(const char *images, const char *labels, int classes, pp_nn_data *d, pp_err *e);
/* A learnable synthetic set: `classes` random templates (seeded) plus noise,
 * n images of c x h x w. */
int pp_nn_data_synthetic(int n, int c, int h, int w, int classes, uint64_t seed, pp_nn_data *d,
                         pp_err *e);
void pp_nn_data_free(pp_nn_data *d);

/* ========================================================================
 * Models
 * ======================================================================== */
enum {
  PP_NN_L_CONV = 0, /* conv2d, optional bias; stride, padding, groups */
  PP_NN_L_FC,       /* fully connected (flattens its input) */
  PP_NN_L_BN,       /* batch norm over channels */
  PP_NN_L_RELU,
  PP_NN_L_RELU6,
  PP_NN_L_ACTQ,     /* activation quantizer: uint8, range from an EMA of the max, allowed set A */
  PP_NN_L_MAXPOOL,
  PP_NN_L_AVGPOOL,
  PP_NN_L_GAP,      /* global average pool */
  PP_NN_L_ADD,      /* residual add of in and in2 ("option A" shortcut: stride subsampling + zero channels) */
  PP_NN_L_SOFTMAX,  /* softmax; k = 0: over the channels at each position, k = 1: over the whole image */
  PP_NN_L_COUNT
};

typedef struct pp_nn_layer {
  int type;        /* PP_NN_L_* */
  char name[48];
  int in, in2;     /* input tensor ids (in2 for ADD only, else -1); tensor 0 is the image */
  int out;         /* output tensor id (== layer index + 1) */
  int c, h, w;     /* output shape per image */
  int ic, ih, iw;  /* input shape per image */
  /* conv/fc/pool */
  int k, stride, pad, groups, has_bias;
  int bn;          /* conv/fc: index of the BN layer that directly follows (folded when quantized), or -1 */
  size_t w_off, b_off, nw; /* offsets into params; nw = weight count */
  /* bn */
  size_t g_off, beta_off;  /* params */
  size_t mean_off, var_off; /* running statistics in bufs */
  /* actq */
  size_t range_off; /* in bufs: EMA of the max of the input */
  float cap;        /* upper limit of the range (6 for ReLU6), 0 = none */
} pp_nn_layer;

/* The epsilon of every batch norm layer (var + eps under the square root). */
#define PP_NN_BN_EPS 1e-5f

/* Quantization / restriction state saved with the model. */
typedef struct pp_nn_qconf {
  int qat;                /* 1: forward uses fake quantization (weights + activations) */
  int per_channel;        /* weight scales per output channel instead of per tensor */
  uint8_t w_allowed[255]; /* w_allowed[v+127] != 0: level v allowed (all 1 = unrestricted; 0 always allowed) */
  uint8_t a_allowed[256]; /* a_allowed[v] != 0: activation level v allowed (0 always allowed) */
} pp_nn_qconf;

typedef struct pp_nn_model {
  char arch[32];          /* "lenet5", "resnet20", "dwnet", or "graph" (a layer list from outside, see
                           * pp_nn_model_graph) */
  int in_c, in_h, in_w;   /* the model's input (images are zero-padded/centred into it) */
  int classes;
  int nlayers;
  pp_nn_layer *layers;
  size_t nparams, nbufs;
  float *params;          /* every learnable parameter */
  float *bufs;            /* BN running mean/var, activation ranges */
  uint8_t *mask;          /* nparams: 0 = pruned (kept at zero); 1 elsewhere */
  pp_nn_qconf q;
  uint64_t seed;          /* initialisation seed */
  void *priv;             /* training/inference work space (not saved) */
} pp_nn_model;

/* Builds an architecture for images c x h x w with `classes` outputs and
 * initializes its weights from seed (He-normal for conv/fc).
 * arch: "lenet5" (LeNet-5 with ReLU), "resnet20" (CIFAR ResNet-20, 16/32/64,
 * option-A shortcuts; 28..31-pixel inputs are padded to 32x32), "dwnet" (a small
 * MobileNet-style net of depthwise-separable blocks with BN and ReLU6). */
int pp_nn_model_create(const char *arch, int c, int h, int w, int classes, uint64_t seed,
                       pp_nn_model **out, pp_err *e);
void pp_nn_model_free(pp_nn_model *m);
/* Forgets the training state kept between pp_nn_train calls (optimizer
 * moments and step count, work space), as in a freshly loaded model. */
void pp_nn_model_reset_training(pp_nn_model *m);

/* A model from a layer list made outside nn (module interop imports ONNX
 * graphs this way). Of each layer the caller sets type, name, in, in2 and
 * for CONV: c (out channels), k, stride, pad, groups, has_bias;
 * FC: c, has_bias (always given a bias vector); MAXPOOL/AVGPOOL: k, stride;
 * ACTQ: cap; SOFTMAX: k (0 or 1). Tensor ids as in pp_nn_layer (0 is the
 * input, layer i writes tensor i+1, so inputs must be < i+1). nn derives the
 * shapes and parameter offsets, checks them (PP_EINVAL naming the layer),
 * and allocates zeroed parameters (BN: gamma 1, variance 1), mask all 1,
 * allowed sets unrestricted. arch is "graph"; classes is the element count
 * of the last tensor (1 or more). The layer list is saved with the model. */
int pp_nn_model_graph(int in_c, int in_h, int in_w, const pp_nn_layer *layers, int n, uint64_t seed,
                      pp_nn_model **out, pp_err *e);

/* Float forward (fake-quantized when m->q.qat) of B inputs given as floats
 * B x in_c x in_h x in_w (ONNX's NCHW); out receives B x (c*h*w) of the last
 * tensor, each image's values in c, h, w order. */
int pp_nn_infer(pp_nn_model *m, const float *x, int B, float *out, pp_err *e);
/* 1 when every activation quantizer of m has a range (trained or calibrated). */
int pp_nn_calibrated(const pp_nn_model *m);
/* Sets every activation quantizer's range to the largest value its input
 * takes in the float forward pass over images [0, count) of d (use training
 * data: a choice). Batch norm uses its running statistics; nothing else
 * changes. */
int pp_nn_calibrate(pp_nn_model *m, const pp_nn_data *d, int count, pp_err *e);
/* Scale of the uint8 tensor t on the integer path (value = level * scale):
 * 1/255 for the input, range/255 after a quantizer, the input's after a
 * pool; 0 when t is not a uint8 tensor. */
float pp_nn_tensor_scale(const pp_nn_model *m, int t);

/* Model files: versioned header, architecture, quantization state, masks,
 * allowed sets, parameters and running statistics, CRC32 at the end.
 * Corrupt, truncated or mismatched files give PP_EPARSE naming the file. */
int pp_nn_model_save(const pp_nn_model *m, const char *path, pp_err *e);
int pp_nn_model_load(const char *path, pp_nn_model **out, pp_err *e);

/* ========================================================================
 * Training and float evaluation
 * ======================================================================== */
enum { PP_NN_OPT_SGD = 0, PP_NN_OPT_ADAM = 1 };
enum { PP_NN_SCHED_CONST = 0, PP_NN_SCHED_STEP = 1, PP_NN_SCHED_COSINE = 2 };

typedef struct pp_nn_train_opts {
  int epochs, batch;
  int optimizer;          /* PP_NN_OPT_* */
  double lr, momentum, weight_decay, beta1, beta2, adam_eps;
  int schedule;           /* PP_NN_SCHED_*; step: lr *= gamma at each epoch in step_epochs */
  double step_gamma;
  int step_every;         /* step schedule: decay every this many epochs */
  int augment;            /* random crop (pad 4) + horizontal flip */
  uint64_t seed;          /* shuffling and augmentation */
  long max_steps;         /* stop after this many steps (0 = no limit; for tests) */
  int progress;           /* show progress + ETA on stderr when it is a terminal */
} pp_nn_train_opts;
void pp_nn_train_defaults(pp_nn_train_opts *o);

typedef struct pp_nn_epoch_stats {
  int epoch;
  double loss, train_accuracy; /* mean loss and accuracy (%) over the epoch */
  double lr, seconds;
} pp_nn_epoch_stats;
typedef void (*pp_nn_epoch_cb)(const pp_nn_epoch_stats *s, void *ctx);

/* The thread count training splits each batch over (OpenMP's). Training is
 * bit-for-bit reproducible for one count, not across counts (the gradient
 * sums are reduced per thread), so whoever caches a trained model keys it on
 * this number too (module flow does). */
int pp_nn_threads(void);

/* Trains m on d. Pruning masks and allowed sets in m are honoured throughout.
 * cb (may be NULL) is called after each epoch. */
int pp_nn_train(pp_nn_model *m, const pp_nn_data *d, const pp_nn_train_opts *o, pp_nn_epoch_cb cb,
                void *ctx, pp_err *e);
/* Float (or fake-quantized when m->q.qat) forward on a data set: accuracy in
 * percent, mean loss; logits (n x classes) when not NULL. */
int pp_nn_eval(pp_nn_model *m, const pp_nn_data *d, double *accuracy, double *loss, float *logits,
               pp_err *e);

/* ========================================================================
 * Quantization, pruning, restriction
 * ======================================================================== */
/* Switches m to quantization-aware mode (fake quantization in the forward
 * pass, straight-through backward; BN folded into the preceding conv/fc with
 * its running statistics, which are frozen from then on). */
void pp_nn_set_qat(pp_nn_model *m, int on, int per_channel);

/* Allowed-set files: text, one integer per line (also several separated by
 * spaces or commas), '#' starts a comment to the end of the line. Weights:
 * values in -127..127; activations: 0..255. 0 is always added. Any other
 * token or an out-of-range value is PP_EPARSE with file and line.
 * allowed has 255 entries (index v+127) for weights, 256 for activations. */
int pp_nn_read_allowed(const char *path, int weights, uint8_t *allowed, pp_err *e);
/* Snap tables: nearest allowed level; ties go to the smaller magnitude
 * (weights) or to the smaller value (activations). */
int pp_nn_snap_weight(const uint8_t w_allowed[255], int level);
int pp_nn_snap_act(const uint8_t a_allowed[256], int level);
/* Accuracy of m on the first max_images of d (0: all) with weights moved to
 * the nearest value of W and activations to the nearest level of A, without
 * retraining; m's own allowed sets are left as they were. The cheap proxy a
 * caller ranks candidate sets by before paying for a retrain. */
int pp_nn_eval_restricted(pp_nn_model *m, const pp_nn_data *d, int max_images, const uint8_t W[255],
                          const uint8_t A[256], double *accuracy, pp_err *e);

/* Magnitude pruning of conv/fc weights to `sparsity` (0..1): global (one
 * threshold over all weights) or per layer. Sets m->mask and zeroes the
 * pruned weights; masks survive training and saving. */
int pp_nn_prune(pp_nn_model *m, double sparsity, int global, pp_err *e);
/* Fraction of conv/fc weights that are zero in the mask. */
double pp_nn_sparsity(const pp_nn_model *m);
/* Weights of layer `layer` that are zero in the mask (0 for other layer types). */
size_t pp_nn_layer_pruned(const pp_nn_model *m, int layer);

/* ========================================================================
 * The integer inference path
 * ======================================================================== */
/* An integer model: every conv/fc with its BN folded, weights as int8 levels
 * (after restriction), int32 biases, fixed-point requantization multipliers.
 * Requantization: out = clamp((v * mult + 2^(shift-1)) >> shift, 0, 255)
 * computed in int64 (rounds half up), then snapped to the allowed set A.
 * The model must have activation ranges (trained at least one step, or
 * loaded); it need not have been trained with QAT (post-training
 * quantization then). */
typedef struct pp_nn_qlayer {
  int layer;         /* model layer index */
  const char *name;
  int kind;          /* PP_NN_QGEMM_* */
  int M, K, groups;
  const int8_t *w;   /* M x K levels */
  const float *w_scale; /* M scales (equal when per tensor) */
  const int32_t *bias;  /* M integer biases (in accumulator units) */
} pp_nn_qlayer;

typedef struct pp_nn_qmodel pp_nn_qmodel;
int pp_nn_qmodel_build(const pp_nn_model *m, pp_nn_qmodel **out, pp_err *e);
void pp_nn_qmodel_free(pp_nn_qmodel *q);
/* The integer products of the model, in execution order. */
int pp_nn_qmodel_nlayers(const pp_nn_qmodel *q);
const pp_nn_qlayer *pp_nn_qmodel_layer(const pp_nn_qmodel *q, int i);

/* Runs images [first, first+count) of d through the integer path. hook may be
 * NULL (then images run in parallel). logits (count x classes, dequantized
 * floats) and pred (count) may be NULL. acts_seen (256 counters, may be NULL)
 * is incremented for every uint8 activation value produced inside the
 * network (the input image excluded), which lets callers verify restriction. */
int pp_nn_qrun(const pp_nn_qmodel *q, const pp_nn_data *d, int first, int count,
               pp_nn_qgemm_hook hook, void *ctx, float *logits, int *pred, uint64_t *acts_seen,
               pp_err *e);

/* Fake-quant float path vs integer path on images [first, first+count):
 * largest absolute logit difference and argmax agreement (percent), and the
 * accuracies (percent) of both. */
typedef struct pp_nn_qcompare {
  double max_logit_diff, argmax_agree, float_accuracy, int_accuracy;
  int n;
} pp_nn_qcompare;
int pp_nn_qcompare_run(pp_nn_model *m, const pp_nn_data *d, int first, int count,
                       pp_nn_qcompare *out, pp_err *e);

#endif
