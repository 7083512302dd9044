/*
 * cluster/exec_credential.c - an exec credential plugin run as a child
 * process: fork + execvpe with pipes for its stdout (the ExecCredential) and
 * stderr (the first line explains a failure), read together with poll() so a
 * chatty plugin never blocks, killed after EXEC_CREDENTIAL_TIMEOUT_MS.
 */
#include "cluster/exec_credential.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cluster/limits.h"
#include "cluster/view.h"
#include "kube/object.h"
#include "kube/text.h"

extern char **environ;

time_t exec_credential_parse_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest)
        return -1;
    if (*rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            ;
    long offset = 0;
    if (*rest == 'Z' || *rest == 'z') {
        rest++;
    } else if ((*rest == '+' || *rest == '-') && strlen(rest) == 6 && rest[3] == ':') {
        int h = atoi(rest + 1), m = atoi(rest + 4);
        offset = (h * 3600L + m * 60L) * (*rest == '+' ? 1 : -1);
        rest += 6;
    } else {
        return -1;
    }
    if (*rest)
        return -1;
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? -1 : t - offset;
}

/* The ExecCredential the plugin reads from KUBERNETES_EXEC_INFO (caller frees; NULL when out of
 * memory).  The apiVersion comes from the kubeconfig: cJSON escapes it. */
static char *exec_info_json(const struct kube_exec *e)
{
    cJSON *info = cJSON_CreateObject();
    cJSON *spec = cJSON_AddObjectToObject(info, "spec");
    char *text = NULL;
    if (spec &&
        cJSON_AddStringToObject(info, "apiVersion",
                                e->api_version ? e->api_version
                                               : "client.authentication.k8s.io/v1") &&
        cJSON_AddStringToObject(info, "kind", "ExecCredential") &&
        cJSON_AddFalseToObject(spec, "interactive"))
        text = cJSON_PrintUnformatted(info);
    cJSON_Delete(info);
    return text;
}

/* argv and envp for the child, built before fork (nothing is allocated after it). */
static int build_vectors(const struct kube_exec *e, char ***argv_out, char ***envp_out, char **info)
{
    size_t nenv = 0;
    while (environ && environ[nenv])
        nenv++;
    char **argv = calloc(e->nargs + 2, sizeof(char *));
    char **envp = calloc(nenv + e->nenv + 2, sizeof(char *));
    char *json = exec_info_json(e);
    if (!argv || !envp || !json || asprintf(info, "KUBERNETES_EXEC_INFO=%s", json) < 0) {
        free(argv);
        free(envp);
        free(json);
        *info = NULL;
        return -1;
    }
    free(json);
    argv[0] = e->command;
    for (size_t i = 0; i < e->nargs; i++)
        argv[i + 1] = e->args[i];
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++) {
        if (strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) == 0)
            continue;
        /* a variable the kubeconfig sets replaces the inherited one */
        size_t name_len = strcspn(environ[i], "=");
        int overridden = 0;
        for (size_t j = 0; j < e->nenv && !overridden; j++)
            overridden = strncmp(e->env[j], environ[i], name_len + 1) == 0;
        if (!overridden)
            envp[k++] = environ[i];
    }
    for (size_t j = 0; j < e->nenv; j++)
        envp[k++] = e->env[j];
    envp[k++] = *info;
    *argv_out = argv;
    *envp_out = envp;
    return 0;
}

struct sink {
    char *buf;
    size_t len, cap;
};

static int sink_read(int fd, struct sink *s)
{
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof(tmp));
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0)
        return 0;
    size_t need = s->len + (size_t)n + 1;
    if (need > MW_KUBE_EXEC_MAX_OUTPUT ||
        text_reserve(&s->buf, &s->cap, need, 8192, MW_KUBE_EXEC_MAX_OUTPUT) != 0)
        return 0;
    memcpy(s->buf + s->len, tmp, (size_t)n);
    s->len += (size_t)n;
    s->buf[s->len] = '\0';
    return 1;
}

/* The first non-empty line of `text`, trimmed, into out. */
static void first_line(const char *text, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!text)
        return;
    while (*text == '\n' || *text == '\r' || *text == ' ' || *text == '\t')
        text++;
    size_t n = strcspn(text, "\r\n");
    snprintf(out, outlen, "%.*s", (int)n, text);
}

/* Runs the child; returns its wait status (or -1 with err), stdout and stderr in the sinks. */
static int run_child(const struct kube_exec *e, struct sink *out, struct sink *errs, char *err,
                     size_t errlen)
{
    char **argv = NULL, **envp = NULL;
    char *info = NULL;
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    if (build_vectors(e, &argv, &envp, &info) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int status = -1;
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto done;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        goto done;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        execvpe(argv[0], argv, envp);
        /* only async-signal-safe calls here */
        static const char msg[] = "cannot run the command: not found or not executable\n";
        if (write(2, msg, sizeof(msg) - 1) < 0) {
        }
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    po[1] = pe[1] = -1;
    long long deadline = cv_now_ms() + EXEC_CREDENTIAL_TIMEOUT_MS;
    int open_out = 1, open_err = 1, timed_out = 0;
    while (open_out || open_err) {
        struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
        fds[0].fd = open_out ? po[0] : -1;
        fds[1].fd = open_err ? pe[0] : -1;
        long long left = deadline - cv_now_ms();
        if (left <= 0) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        int r = poll(fds, 2, (int)left);
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0)
            continue;
        if (open_out && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            open_out = sink_read(po[0], out);
        if (open_err && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
            open_err = sink_read(pe[0], errs);
        /* a pipe no longer read is closed: a plugin still writing to it gets EPIPE, never blocks */
        if (!open_out && po[0] >= 0) {
            close(po[0]);
            po[0] = -1;
        }
        if (!open_err && pe[0] >= 0) {
            close(pe[0]);
            pe[0] = -1;
        }
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out) {
        snprintf(err, errlen, "no answer within %d s", EXEC_CREDENTIAL_TIMEOUT_MS / 1000);
        status = -1;
    }
done:
    for (int i = 0; i < 2; i++) {
        if (po[i] >= 0)
            close(po[i]);
        if (pe[i] >= 0)
            close(pe[i]);
    }
    free(argv);
    free(envp);
    free(info);
    return status;
}

int exec_credential_run(const struct kube_exec *e, char **token, time_t *expiry, char *err,
                        size_t errlen)
{
    *token = NULL;
    *expiry = 0;
    struct sink out = {0}, errs = {0};
    char why[300] = "";
    char line[200];
    int status = run_child(e, &out, &errs, why, sizeof(why));
    first_line(errs.buf, line, sizeof(line));
    int rc = -1;
    const char *prefix_user = e->user ? e->user : "";
    if (status == -1) {
        snprintf(err, errlen, "kubeconfig user \"%s\": exec plugin \"%s\": %s", prefix_user,
                 e->command, why);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char how[64];
        if (WIFEXITED(status))
            snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
        else
            snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
        char hint[160] = "";
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && e->install_hint)
            first_line(e->install_hint, hint, sizeof(hint));
        snprintf(err, errlen, "kubeconfig user \"%s\": exec plugin \"%s\" failed (%s)%s%s%s%s",
                 prefix_user, e->command, how, line[0] ? ": " : "", line, hint[0] ? "; " : "",
                 hint);
    } else {
        cJSON *doc = out.buf ? cJSON_Parse(out.buf) : NULL;
        const cJSON *st = obj_object(doc, "status");
        const char *kind = obj_string(doc, "kind"), *api = obj_string(doc, "apiVersion");
        const char *tok = obj_string(st, "token"), *exp = obj_string(st, "expirationTimestamp");
        const char *problem = NULL;
        if (!cJSON_IsObject(doc) || !kind || strcmp(kind, "ExecCredential") != 0)
            problem = "did not print an ExecCredential";
        else if (e->api_version && (!api || strcmp(api, e->api_version) != 0))
            problem = "printed an ExecCredential of another apiVersion than the kubeconfig's";
        else if (!tok || !*tok)
            problem = "returned no status.token (client certificates from exec plugins are not "
                      "supported)";
        else if (exp && (*expiry = exec_credential_parse_time(exp)) == (time_t)-1)
            problem = "returned an expirationTimestamp that is not an RFC 3339 time";
        else if (!(*token = strdup(tok)))
            problem = "out of memory";
        if (problem) {
            *expiry = 0;
            snprintf(err, errlen, "kubeconfig user \"%s\": exec plugin \"%s\" %s", prefix_user,
                     e->command, problem);
        } else {
            rc = 0;
        }
        cJSON_Delete(doc);
    }
    free(out.buf);
    free(errs.buf);
    return rc;
}
