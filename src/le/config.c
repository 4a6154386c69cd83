/* Defaults of the le configurations (shared by the CLI and the spec). */
#include "le/le.h"

#include <string.h>

void le_fit_opts_default(le_fit_opts *o)
{
    o->sg_order = 2;
    o->sg_window = 151;
    o->sim_window = 21;
    o->tail_frac = 0.1;
    o->plateau_factor = 10;
    o->ref_paths = 200;
    o->ref_tail = 1000;
    o->seed = 0;
}

void le_sde_config_default(le_sde_config *c)
{
    memset(c, 0, sizeof *c);
    c->K = 3;
    c->p = 3;
    c->n = 50;
    c->model = LE_MODEL_L;
    c->schedule = LE_SCHED_POWER;
    c->c = 0.5;
    c->s = 0.5;
    c->b = 0.0;
    c->s_b = 1.0;
    c->noise = 0.05;
    c->T = 1e4;
    c->n_obs = 9;
    c->seed = 0;
}
