/* SPDX-License-Identifier: GPL-2.0-only */
#include "dp_log.h"

RTE_LOG_REGISTER(vnl_logtype_main, vnl.main, INFO);
RTE_LOG_REGISTER(vnl_logtype_ctl, vnl.ctl, INFO);
RTE_LOG_REGISTER(vnl_logtype_port, vnl.port, INFO);
RTE_LOG_REGISTER(vnl_logtype_worker, vnl.worker, INFO);
