/*
 * rules/limits.h - the size and count limits of the rules, named, in one
 * place: what one object can make a rule gather or say.
 */
#ifndef MW_RULES_LIMITS_H
#define MW_RULES_LIMITS_H

/*
 * Bounds on what one VMI can make us gather: CPU keys beyond
 * CPU_REQ_MAX_KEYS are ignored (real nodes carry a few dozen), and a VMI with
 * more than MIGRATION_MAX_NETWORKS multus networks cannot be verified (each
 * one may cost an API lookup).
 */
#define CPU_REQ_MAX_KEYS 256
#define MIGRATION_MAX_NETWORKS 64

/* R holds at most this many nodeSelector keys; more are ignored (real pods carry a few dozen). */
#define REQ_MAX_LABELS 512

/* The no-target text names at most this many nodes, then ", and <k> more" (docs/rules.md#details).
 */
#define NO_TARGET_MAX_LISTED 10

/* The longest condition message quoted by not-migratable, in bytes (cut on a UTF-8 boundary). */
#define NOT_MIGRATABLE_MAX_MESSAGE 200

/*
 * The API server may cut an admission warning longer than this, so no warning
 * we send is longer: one made of findings keeps whole findings and ends
 * " (+<k> more)"; any other is cut on a UTF-8 character boundary and ends with
 * an ellipsis.  Denial messages are not capped (the no-target text caps its
 * node list itself).
 */
#define WARNING_MAX_BYTES 256

#endif
