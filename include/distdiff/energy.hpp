#pragma once
// Energy terms (paper Eq. 1, 2) and their compile-time list.
#include "distdiff/energy/class_distance.hpp"
#include "distdiff/energy/energy_list.hpp"
#include "distdiff/energy/gif.hpp"
#include "distdiff/energy/group_distance.hpp"
