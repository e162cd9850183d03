//! sla (in progress)
