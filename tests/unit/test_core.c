/* Unit tests of core/: the durations of progress lines and lesde status. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "core/log.h"

static void test_duration(void)
{
    static const struct {
        double s;
        const char *want;
    } cases[] = {
        {0, "0s"},        {59.9, "59s"},     {119.99, "119s"}, {120, "2m00s"},    {900, "15m00s"},
        {960, "16m00s"},  {899.9, "14m59s"}, {3599, "59m59s"}, {7199, "119m59s"}, {7200, "2h00m"},
        {12600, "3h30m"}, {86399, "23h59m"}, {-1, "?"},        {NAN, "?"},        {2e8, "?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        log_duration(buf, sizeof buf, cases[i].s);
        CHECK(!strcmp(buf, cases[i].want), "%g s: '%s', want '%s'", cases[i].s, buf, cases[i].want);
    }
}

int main(void)
{
    test_duration();
    return check_done("test_core");
}
