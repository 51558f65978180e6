/* A VM's disks: the qcow2 overlay of its base image and its cloud-init
 * NoCloud seed ISO.
 *
 * The overlay is made by `qemu-img create -f qcow2 -b BASE -F qcow2`, run
 * with posix_spawn and an argv (no shell). libvirt's storage volume API
 * (virStorageVolCreateXML with a backingStore) would need a storage pool over
 * the directory, and the test driver's pools are simulated (no file is
 * written), so tests could not check the overlay; qemu-img is what libvirt's
 * own pools call anyway.
 *
 * The seed ISO is made by genisoimage (volume id "cidata", Joliet and Rock
 * Ridge), also spawned with an argv: libisofs would do it in-process, but
 * costs an extra library for a file written once per VM.
 *
 * user-data is "#cloud-config" followed by JSON (which is YAML) written by
 * jansson, so a tenant's SSH key can never inject YAML. */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm/libvirt-internal.h"

extern char **environ;

void vmrt__seed_path(struct brink_vmrt *rt, const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s/%s-seed.iso", rt->vms_dir, id);
}

/* Runs argv (argv[0] found in PATH) with stdout and stderr into a pipe;
 * on failure *err carries the tool's last output line. */
static int run(char *const argv[], struct brink_error **err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return brink_error_sys(err, errno, "pipe");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "running %s: %s", argv[0],
					strerror(rc));
	}
	char out[1024];
	size_t used = 0;
	ssize_t n;
	while ((n = read(fds[0], out + used, sizeof(out) - 1 - used)) > 0)
		if ((used += (size_t)n) == sizeof(out) - 1)
			used = 0; /* keep the tail only */
	out[used] = '\0';
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char *nl;
	while (used && out[used - 1] == '\n')
		out[--used] = '\0';
	nl = strrchr(out, '\n');
	return brink_error_make(err, BRINK_E_INTERNAL, "%s failed: %s", argv[0], nl ? nl + 1 : out);
}

static int make_overlay(struct brink_vmrt *rt, const char *id, const char *base,
			struct brink_error **err)
{
	char base_path[PATH_MAX], overlay[PATH_MAX];
	snprintf(base_path, sizeof(base_path), "%s/%s", rt->images_dir, base);
	vmrt_impl_overlay_path(rt, id, overlay, sizeof(overlay));
	struct stat sb;
	if (stat(base_path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return brink_error_make(err, BRINK_E_NOT_FOUND, "no base image named %s", base);
	char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-b", base_path, "-F", "qcow2",
			overlay, NULL};
	return run(argv, err) < 0 ? brink_error_wrap(err, "creating the overlay") : 0;
}

static int write_file(const char *path, const char *text, struct brink_error **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return brink_error_sys(err, errno, "creating %s", path);
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return brink_error_sys(err, e, "writing %s", path);
		}
		off += (size_t)n;
	}
	close(fd);
	return 0;
}

static json_t *user_entry(const struct brink_vmrt_seed *seed)
{
	json_t *u = json_pack("{s:s, s:s, s:s, s:b}", "name", seed->user, "shell", "/bin/bash",
			      "sudo", "ALL=(ALL) NOPASSWD:ALL", "lock_passwd",
			      seed->password_hash == NULL);
	json_t *keys = json_array();
	if (!u || !keys)
		goto fail;
	if (seed->password_hash && json_object_set_new(u, "passwd", json_string(seed->password_hash)))
		goto fail;
	for (size_t i = 0; i < seed->nkeys; i++)
		if (json_array_append_new(keys, json_string(seed->ssh_keys[i])) < 0)
			goto fail;
	if (json_object_set_new(u, "ssh_authorized_keys", keys) < 0)
		goto fail_u;
	return u;
fail:
	json_decref(keys);
fail_u:
	json_decref(u);
	return NULL;
}

static char *with_header(json_t *doc, const char *header)
{
	char *body = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	char *out = NULL;
	json_decref(doc);
	if (body && asprintf(&out, "%s%s\n", header, body) < 0)
		out = NULL;
	free(body);
	return out;
}

char *vmrt_impl_user_data(const struct brink_vmrt_seed *seed)
{
	json_t *doc = json_object();
	json_t *users = json_array();
	if (!doc || !users || json_array_append_new(users, json_string("default")) < 0)
		goto fail;
	if (seed->user && seed->user[0]) {
		json_t *u = user_entry(seed);
		if (!u || json_array_append_new(users, u) < 0)
			goto fail;
	}
	if (json_object_set_new(doc, "users", users) < 0 ||
	    json_object_set_new(doc, "ssh_pwauth", json_boolean(seed->password_hash != NULL)) < 0)
		goto fail_doc;
	return with_header(doc, "#cloud-config\n");
fail:
	json_decref(users);
fail_doc:
	json_decref(doc);
	return NULL;
}

char *vmrt_impl_meta_data(const char *id, const struct brink_vmrt_seed *seed)
{
	char instance[64];
	snprintf(instance, sizeof(instance), "brink-%s", id);
	return with_header(json_pack("{s:s, s:s}", "instance-id", instance, "local-hostname",
				     seed->hostname),
			   "");
}

int vmrt_impl_password_hash(const char *password, char *out, size_t len,
			     struct brink_error **err)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	/* NULL entropy: libxcrypt reads the salt from getrandom(2). */
	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) &&
	    !crypt_gensalt_rn("$6$", 0, NULL, 0, setting, sizeof(setting)))
		return brink_error_sys(err, errno, "making a password salt");
	memset(&cd, 0, sizeof(cd));
	const char *h = crypt_r(password, setting, &cd);
	if (!h || h[0] == '*' || strlen(h) >= len) {
		explicit_bzero(&cd, sizeof(cd));
		return brink_error_make(err, BRINK_E_INTERNAL, "hashing the password failed");
	}
	snprintf(out, len, "%s", h);
	explicit_bzero(&cd, sizeof(cd));
	return 0;
}

static int make_seed(struct brink_vmrt *rt, const char *id, const struct brink_vmrt_seed *seed,
		     struct brink_error **err)
{
	char dir[PATH_MAX], ud[PATH_MAX + 16], md[PATH_MAX + 16], iso[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s-seed", rt->vms_dir, id);
	snprintf(ud, sizeof(ud), "%s/user-data", dir);
	snprintf(md, sizeof(md), "%s/meta-data", dir);
	vmrt__seed_path(rt, id, iso, sizeof(iso));
	char *user_data = vmrt_impl_user_data(seed), *meta_data = vmrt_impl_meta_data(id, seed);
	int rc = -1;
	if (!user_data || !meta_data)
		brink_error_make(err, BRINK_E_INTERNAL, "writing cloud-init data: out of memory");
	else if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		brink_error_sys(err, errno, "creating %s", dir);
	else if (write_file(ud, user_data, err) == 0 && write_file(md, meta_data, err) == 0) {
		char *argv[] = {"genisoimage", "-quiet", "-output", iso, "-volid", "cidata",
				"-joliet", "-rock", ud, md, NULL};
		rc = run(argv, err) < 0 ? brink_error_wrap(err, "creating the seed ISO") : 0;
	}
	unlink(ud);
	unlink(md);
	rmdir(dir);
	if (user_data)
		explicit_bzero(user_data, strlen(user_data));
	free(user_data);
	free(meta_data);
	return rc;
}

int vmrt_impl_disks_create(struct brink_vmrt *rt, const char *id, const char *base,
			    const struct brink_vmrt_seed *seed, struct brink_error **err)
{
	if (!brink_vmrt_base_valid(base))
		return brink_error_make(err, BRINK_E_INVALID,
					"base image must be a file name (no '/', no '..')");
	if (make_overlay(rt, id, base, err) < 0)
		return -1;
	if (make_seed(rt, id, seed, err) < 0) {
		vmrt_impl_disks_remove(rt, id);
		return -1;
	}
	return 0;
}

void vmrt_impl_disks_remove(struct brink_vmrt *rt, const char *id)
{
	char path[PATH_MAX];
	vmrt_impl_overlay_path(rt, id, path, sizeof(path));
	unlink(path);
	vmrt__seed_path(rt, id, path, sizeof(path));
	unlink(path);
}
