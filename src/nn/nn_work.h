/* nn work space: activations, gradients, optimizer state and per-layer
 * scratch of a model, sized for a batch. Internal to module nn. */
#ifndef PP_NN_WORK_H
#define PP_NN_WORK_H

#include "nn_internal.h"

typedef struct nn_work {
  int B;          /* batch capacity */
  int has_grad;
  float **act;    /* nlayers+1 tensors; act[0] is the input batch */
  float **dact;   /* their gradients (when has_grad) */
  int32_t **arg;  /* max-pool argmax per layer */
  float **lw;     /* per-layer scratch: conv/fc effective weights, BN batch stats */
  float *grads;   /* nparams */
  float *opt_m, *opt_v; /* optimizer moments (nparams each) */
  long step;
  float *col, *xt, *dxt; /* col: conv scratch for nt threads */
  int nt;                /* threads the scratch was sized for */
  uint8_t *labels;
  uint8_t *dset;  /* nlayers+1: gradient tensor already written in this backward pass */
} nn_work;

int nn_work_ensure(pp_nn_model *m, int B, int need_grad, pp_err *e);
void nn_work_free(pp_nn_model *m);
/* train: NN_FWD_EVAL (running statistics), NN_FWD_TRAIN (batch statistics,
 * quantizer ranges follow an EMA of the batch max), NN_FWD_CALIB (running
 * statistics; quantizer ranges grow to the largest value seen). */
enum { NN_FWD_EVAL = 0, NN_FWD_TRAIN = 1, NN_FWD_CALIB = 2 };
void nn_forward(pp_nn_model *m, int B, int train);
void nn_backward(pp_nn_model *m, int B);
void nn_fill_batch(pp_nn_model *m, const pp_nn_data *d, const uint32_t *idx, int B, int aug,
                   pp_rng *r);

#endif
