/*
 * tests/unit/test_log.c - the log lines as an operator's tools read them:
 * every line is JSON with valid UTF-8 whatever bytes a request carried, keys
 * in lower camel case, review lines at info for answers and at warn for HTTP
 * 4xx, error lines with their caller.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "test_main.h"
#include <cjson/cJSON.h>

#include "server/log.h"

/* Runs fn with stderr sent to a file; returns what was written (caller frees). */
static char *capture(void (*fn)(void))
{
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    fn();
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    long n = ftell(tmp);
    if (n <= 0)
        n = lseek(fileno(tmp), 0, SEEK_END);
    char *text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(pread(fileno(tmp), text, (size_t)n, 0), n);
    fclose(tmp);
    return text;
}

/* The one line fn logs, parsed as JSON (caller frees). */
static cJSON *logged_line(void (*fn)(void))
{
    char *text = capture(fn);
    const char *nl = strchr(text, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');
    assert_true(log_utf8_valid(text));
    cJSON *line = cJSON_Parse(text);
    assert_non_null(line);
    free(text);
    return line;
}

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void sanitize_replaces_bad_bytes_and_cuts_between_characters(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(log_utf8_sanitize(out, sizeof(out), "/\xff"), 4);
    assert_string_equal(out, "/\xEF\xBF\xBD");
    /* overlong "/", a surrogate, a code point above U+10FFFF, a lone continuation byte */
    log_utf8_sanitize(out, sizeof(out), "\xC0\xAF|\xED\xA0\x80|\xF4\x90\x80\x80|\x80");
    assert_true(log_utf8_valid(out));
    assert_null(strstr(out, "\xC0"));
    assert_int_equal(strncmp(out, "\xEF\xBF\xBD\xEF\xBF\xBD|", 7), 0);
    /* "é" is 2 bytes: with room for 3 bytes, "aé" fits, "aéé" is cut before the second "é" */
    assert_int_equal(log_utf8_sanitize(out, 4, "a\xC3\xA9\xC3\xA9"), 3);
    assert_string_equal(out, "a\xC3\xA9");
    assert_int_equal(log_utf8_sanitize(out, 3, "a\xC3\xA9"), 1);
    assert_string_equal(out, "a");
    assert_true(log_utf8_valid("caf\xC3\xA9 \xF0\x9F\x99\x82"));
    assert_false(log_utf8_valid("caf\xC3"));
}

static const struct review_log *review_to_log;

static void log_the_review(void)
{
    log_review(review_to_log);
}

/* The line log_review() writes for r, parsed (caller frees). */
static cJSON *review_line(const struct review_log *r)
{
    review_to_log = r;
    return logged_line(log_the_review);
}

static void a_4xx_review_line_is_warn_and_valid_utf8(void **state)
{
    (void)state;
    cJSON *line = review_line(&(struct review_log){.path = "/%ff/\xff\xfe",
                                                   .verdict = "error",
                                                   .status = 404,
                                                   .error = "no such path \xff",
                                                   .duration_us = 12});
    assert_string_equal(str(line, "level"), "warn");
    assert_string_equal(str(line, "path"), "/%ff/\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_string_equal(str(line, "error"), "no such path \xEF\xBF\xBD");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(line, "durationUs")));
    assert_null(cJSON_GetObjectItemCaseSensitive(line, "duration_us"));
    assert_null(cJSON_GetObjectItemCaseSensitive(line, "caller"));
    cJSON_Delete(line);
}

static void a_denial_stays_info_and_a_500_is_error_with_caller(void **state)
{
    (void)state;
    cJSON *line =
        review_line(&(struct review_log){.path = "/validate", .verdict = "denied", .status = 200});
    assert_string_equal(str(line, "level"), "info");
    assert_string_equal(str(line, "verdict"), "denied");
    cJSON_Delete(line);
    line = review_line(
        &(struct review_log){.path = "/validate", .verdict = "error", .status = 500, .error = "x"});
    assert_string_equal(str(line, "level"), "error");
    const char *caller = str(line, "caller");
    assert_non_null(caller);
    assert_int_equal(strncmp(caller, "tests/unit/test_log.c:", 22), 0);
    assert_true(atoi(caller + 22) > 0);
    cJSON_Delete(line);
}

static void fields_with_snake_keys(void)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "dropped_slow_clients", 3);
    cJSON_AddStringToObject(f, "remote_addr", "10.0.0.1\xff");
    cJSON *inner = cJSON_AddObjectToObject(f, "tls");
    cJSON_AddStringToObject(inner, "peer", "\xC3");
    log_json(LOG_ERROR, "accept failed", f);
}

static void keys_are_lower_camel_case_and_values_valid(void **state)
{
    (void)state;
    cJSON *line = logged_line(fields_with_snake_keys);
    assert_int_equal(
        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(line, "droppedSlowClients")), 3);
    assert_string_equal(str(line, "remoteAddr"), "10.0.0.1\xEF\xBF\xBD");
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(line, "tls"), "peer"), "\xEF\xBF\xBD");
    assert_string_equal(str(line, "level"), "error");
    assert_non_null(strstr(str(line, "caller"), "test_log.c:"));
    cJSON_Delete(line);
}

static void long_message(void)
{
    char text[1100];
    memset(text, 'a', sizeof(text));
    for (size_t i = 1; i + 2 < sizeof(text); i += 2)
        memcpy(text + i, "\xC3\xA9", 2); /* "é" from an odd offset: the cut at 1023 splits one */
    text[sizeof(text) - 1] = '\0';
    log_message(LOG_WARN, "long", "%s", text);
}

static void a_cut_message_ends_on_a_character(void **state)
{
    (void)state;
    cJSON *line = logged_line(long_message);
    const char *e = str(line, "error");
    assert_non_null(e);
    assert_null(strstr(e, "\xEF\xBF\xBD")); /* the split character dropped, not replaced */
    assert_true(strlen(e) >= 1020 && strlen(e) <= 1023);
    cJSON_Delete(line);
}

TEST_MAIN(cmocka_unit_test(sanitize_replaces_bad_bytes_and_cuts_between_characters),
          cmocka_unit_test(a_4xx_review_line_is_warn_and_valid_utf8),
          cmocka_unit_test(a_denial_stays_info_and_a_500_is_error_with_caller),
          cmocka_unit_test(keys_are_lower_camel_case_and_values_valid),
          cmocka_unit_test(a_cut_message_ends_on_a_character))
