// See stand_in.h: the cross builds of `make cross-test` only.
#pragma once
#include "stand_in.h"
