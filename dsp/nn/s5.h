/* s5.h — S5 layer (internal). Runs on the diagonal-SSM form of lru.h. */
#ifndef SW_S5_H
#define SW_S5_H
#include "lru.h"

sw_status swi_build_s5(sw_lru *l, const cJSON *cfg, sw_build *b);

#endif
