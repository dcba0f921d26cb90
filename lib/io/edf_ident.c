/* edf_ident.c — the start date of EDF/EDF+/BDF files and the EDF+ identification subfields.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * EDF+ spec (Kemp & Olivan 2003; edfplus.info/specs/edfplus.html) section 2.1.3: item 2, the
 * header startdate dd.mm.yy with 1985 as the clipping year, and the literal "yy" after 2084,
 * when only the recording field's Startdate gives the date; item 3, the patient field
 * "code sex birthdate name"; item 4, the recording field "Startdate dd-MMM-yyyy code
 * technician equipment" (unknown subfields are "X"; more subfields may follow). Departures are
 * read and reported as warnings; warnings never quote the patient field (patient data). */
#include "io_int.h"

#include <string.h>

static int two_digits(const char *s, int *v) {
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 0;
}

/* The next space-separated subfield of *p (runs of spaces are one separator); 0 at the end. */
static int next_subfield(const char **p, const char **start, size_t *len) {
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (*s == '\0')
        return 0;
    const char *e = s;
    while (*e != '\0' && *e != ' ')
        e++;
    *start = s;
    *len = (size_t)(e - s);
    *p = e;
    return 1;
}

/* "dd-MMM-yyyy" with an English month abbreviation: 0, or -1. *caps is cleared when the month
 * is not in capitals (the spec asks for them; the date is still read). */
static int parse_dmy(const char *s, size_t n, int *ymd, int *caps) {
    static const char months[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
    int d = 0, c1 = 0, c2 = 0;
    if (n != 11 || s[2] != '-' || s[6] != '-' || two_digits(s, &d) || two_digits(s + 7, &c1) ||
        two_digits(s + 9, &c2) || d < 1 || d > 31)
        return -1;
    char m[4] = {clefi_ascii_upper(s[3]), clefi_ascii_upper(s[4]), clefi_ascii_upper(s[5]), '\0'};
    const char *at = strstr(months, m);
    if (at == NULL || (at - months) % 3 != 0)
        return -1;
    if (memcmp(m, s + 3, 3) != 0)
        *caps = 0;
    ymd[0] = c1 * 100 + c2;
    ymd[1] = (int)(at - months) / 3 + 1;
    ymd[2] = d;
    return 0;
}

enum { SD_MISSING, SD_UNKNOWN, SD_BAD, SD_OK };

/* The recording field's Startdate subfield (item 4): SD_OK with ymd, SD_UNKNOWN ("X"), SD_BAD
 * (not a date) or SD_MISSING (the field does not start with "Startdate"). */
static int recording_startdate(const char *r, int *ymd, int *caps) {
    const char *s, *p = r;
    size_t n;
    if (!next_subfield(&p, &s, &n) || n != 9 || memcmp(s, "Startdate", 9) != 0)
        return SD_MISSING;
    if (!next_subfield(&p, &s, &n))
        return SD_BAD;
    if (n == 1 && s[0] == 'X')
        return SD_UNKNOWN;
    return parse_dmy(s, n, ymd, caps) == 0 ? SD_OK : SD_BAD;
}

static const char *patient_layout_problem(const char *f) {
    const char *sub[4], *p = f;
    size_t len[4];
    int n = 0;
    while (n < 4 && next_subfield(&p, &sub[n], &len[n]))
        n++;
    if (n < 4)
        return "fewer than 4 subfields";
    if (len[1] != 1 || strchr("FMX", sub[1][0]) == NULL)
        return "the sex subfield is not F, M or X";
    int ymd[3], caps = 1;
    if (!(len[2] == 1 && sub[2][0] == 'X') && (parse_dmy(sub[2], len[2], ymd, &caps) != 0 || !caps))
        return "the birthdate subfield is not dd-MMM-yyyy or X";
    return NULL;
}

static const char *recording_layout_problem(const char *f) {
    int ymd[3], caps = 1, sd = recording_startdate(f, ymd, &caps);
    if (sd == SD_MISSING)
        return NULL; /* its own warning */
    if (sd == SD_BAD || !caps)
        return "the Startdate subfield is not dd-MMM-yyyy or X";
    const char *s, *p = f;
    size_t n;
    int k = 0;
    while (next_subfield(&p, &s, &n))
        k++;
    return k < 5 ? "fewer than 5 subfields" : NULL;
}

clef_status clefi_rec_check_ident(clef_recording *rec) {
    if (!rec->plus)
        return CLEF_OK;
    clef_status rc = CLEF_OK;
    const char *why = patient_layout_problem(rec->fields[CLEF_HDR_PATIENT]);
    if (why != NULL)
        rc = clefi_rec_warn(rec,
                            "EDF+ patient identification does not follow 'code sex birthdate "
                            "name' (EDF+ spec 2.1.3 item 3): %s",
                            why);
    const char *r = rec->fields[CLEF_HDR_RECORDING];
    why = recording_layout_problem(r);
    if (rc == CLEF_OK && why != NULL)
        rc = clefi_rec_warn(rec,
                            "EDF+ recording identification does not follow 'Startdate "
                            "dd-MMM-yyyy code technician equipment' (EDF+ spec 2.1.3 item 4): %s",
                            why);
    int ymd[3], caps = 1;
    if (rc == CLEF_OK && recording_startdate(r, ymd, &caps) == SD_MISSING)
        rc = clefi_rec_warn(rec, "EDF+ recording identification has no Startdate subfield "
                                 "(EDF+ spec 2.1.3 item 4); the date is the header's");
    return rc;
}

/* The header date dd.mm.yy, and the date the file states: the recording field's Startdate
 * for "yy" (after 2084), else the header's with its year's century from that Startdate when
 * they agree on yy, else from the clipping year 1985 (EDF spec). */
static clef_status start_date(clef_recording *rec, int *ymd) {
    const char *d = rec->fields[CLEF_HDR_STARTDATE];
    int dd, mo, yy = -1, sd_ymd[3] = {0, 0, 0}, caps = 1;
    int after_2084 = strlen(d) == 8 && strcmp(d + 6, "yy") == 0;
    if (strlen(d) != 8 || two_digits(d, &dd) || two_digits(d + 3, &mo) ||
        (!after_2084 && two_digits(d + 6, &yy)) || (d[2] != '.' && d[2] != ':' && d[2] != '-') ||
        d[5] != d[2] || dd < 1 || dd > 31 || mo < 1 || mo > 12)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT, "start date is not dd.mm.yy: '%s'",
                           d);
    int sd = rec->plus ? recording_startdate(rec->fields[CLEF_HDR_RECORDING], sd_ymd, &caps)
                       : SD_MISSING;
    if (after_2084) {
        if (sd != SD_OK)
            return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT,
                               "start date '%s' (a year after 2084, EDF+ spec 2.1.3 item 2) needs "
                               "the recording field's Startdate dd-MMM-yyyy, which %s",
                               d, rec->plus ? "is missing or not a date" : "plain EDF lacks");
        memcpy(ymd, sd_ymd, sizeof sd_ymd);
    } else {
        ymd[0] = yy >= 85 ? 1900 + yy : 2000 + yy;
        ymd[1] = mo;
        ymd[2] = dd;
        if (sd == SD_OK && sd_ymd[0] % 100 == yy)
            ymd[0] = sd_ymd[0];
    }
    if (sd == SD_OK && (sd_ymd[0] % 100 != ymd[0] % 100 || sd_ymd[1] != mo || sd_ymd[2] != dd)) {
        static const char mon[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
        return clefi_rec_warn(rec,
                              "recording-field Startdate %02d-%.3s-%04d disagrees with the header "
                              "start date '%s'; the %s date is used",
                              sd_ymd[2], mon + 3 * (sd_ymd[1] - 1), sd_ymd[0], d,
                              after_2084 ? "Startdate" : "header");
    }
    return CLEF_OK;
}

clef_status clefi_rec_parse_start(clef_recording *rec, int *ymdhms) {
    const char *d = rec->fields[CLEF_HDR_STARTDATE], *t = rec->fields[CLEF_HDR_STARTTIME];
    int hh, mi, ss, ymd[3] = {0, 0, 0};
    clef_status rc = start_date(rec, ymd);
    if (rc != CLEF_OK)
        return rc;
    if (strlen(t) != 8 || two_digits(t, &hh) || two_digits(t + 3, &mi) || two_digits(t + 6, &ss) ||
        (t[2] != '.' && t[2] != ':') || t[5] != t[2] || hh > 23 || mi > 59 || ss > 60)
        return clefi_error(rec->ctx, &rec->err, CLEF_ERR_FORMAT, "start time is not hh.mm.ss: '%s'",
                           t);
    if ((d[2] != '.' || t[2] != '.') &&
        (rc = clefi_rec_warn(rec, "start date/time separators are not '.' ('%s' '%s')", d, t)) !=
            CLEF_OK)
        return rc;
    int v[6] = {ymd[0], ymd[1], ymd[2], hh, mi, ss};
    memcpy(ymdhms, v, sizeof v);
    return CLEF_OK;
}
