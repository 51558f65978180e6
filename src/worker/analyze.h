/* The analyze service's work in brink-worker: readings in, classified
 * results out, with the model engine of src/analyze/engine.h.
 *
 * The configuration brinkd passes (--analyze) is a JSON object:
 *   {"format":"h5"|"rules", "columns":[names in the model's input order],
 *    "mode":"datum"|"batch", "batch":N, "labels":[...], "threshold":T,
 *    "alerts":MASK (-1: default), "inputs":N, "outputs":K}
 * Classes: a model with one output (or a rule) has two, [below threshold,
 * at or above] (a rule: [false, true]); with K outputs, K (argmax). Default
 * labels: "normal","alert" for two classes, else "0".."K-1". Default alerts:
 * every class but the first. The score is the output itself for one output,
 * the winning output for argmax, the rule's value for a rule.
 *
 * Result lines:
 *   datum: {"thing":T,"received":S,...the reading's fields,"msg":M,"class":C,"score":X}
 *   batch: {"received":S,"msg":M,"nalerts":n,"count":N,"classes":{C:n,...},"score":mean}
 * where M is ECM's "Alerta por condiciones inapropiadas" for an alert (a
 * batch with at least one) and "Condiciones apropiadas" otherwise.
 *
 * A reading without one of the columns, or whose value there is neither a
 * number nor a string holding one (ECM's sensors send "31.2"), is counted
 * and skipped. */
#ifndef BRINK_WORKER_ANALYZE_H
#define BRINK_WORKER_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brink/wire.h"

#define BRINK_ANALYZE_ALERT_MSG "Alerta por condiciones inapropiadas"
#define BRINK_ANALYZE_NORMAL_MSG "Condiciones apropiadas"

struct brink_analyze;

/* Loads the model file model[0..len) (for h5: the HDF5 file, or its
 * compiled image, told apart by its magic) and the configuration. Returns 0 with
 * *out (brink_analyze_free), or -1 with a message in msg. */
int brink_analyze_open(const char *config, const void *model, size_t len,
		       struct brink_analyze **out, char *msg, size_t msglen);

/* Whether the network was loaded from its compiled image (no libhdf5). */
bool brink_analyze_compiled(const struct brink_analyze *a);
/* Sets up what the model's inference keeps (brink_nn_warm_up); rules need none. */
void brink_analyze_warm_up(struct brink_analyze *a);

/* Handles one record "<thing name>\n<reading as a JSON object>" received at
 * time_ns. Returns the length of the result line written to out[0..cap)
 * when one is due, else 0 (a batch not full yet, or a skipped reading). */
size_t brink_analyze_reading(struct brink_analyze *a, const uint8_t *rec, size_t len,
			     uint64_t time_ns, char *out, size_t cap);

/* The counters so far. */
void brink_analyze_stats(const struct brink_analyze *a, struct brink_wire_stats *out);

void brink_analyze_free(struct brink_analyze *a);

/* The check mode: parses data[0..len) as `format` ("h5" or "rules") and
 * writes its JSON summary ({"format","inputs","outputs",...}) into out, or
 * the reason it is refused. Returns 1 (accepted) or 0 (refused). */
int brink_analyze_check(const char *format, const void *data, size_t len, char *out, size_t cap);

/* Where the check writes the compiled image of an h5 model: buf[0..cap)
 * (borrowed); len is the image's size, 0 when there is none (rules, a
 * refused file, or an image over cap). */
struct brink_analyze_image {
	void *buf;
	size_t cap, len;
};

/* As brink_analyze_check; when img is given, an accepted h5 model also gets
 * its image written into img and "image_bytes":N added to its summary.
 * brink_analyze_open accepts that image in place of the HDF5 file. */
int brink_analyze_check_image(const char *format, const void *data, size_t len, char *out,
			      size_t cap, struct brink_analyze_image *img);

#endif
