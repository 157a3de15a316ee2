# baseline_weeks.awk: three weeks and a day and a half of one gateway series
# as events-v1 lines, for the baselines' tests (tests/integration/
# test_baseline_cli.sh says what it holds; tests/e2e/test_console_review.sh).
# Seeded: awk -v seed=17 -f baseline_weeks.awk > events.jsonl
function civil(days,   z, era, doe, yoe, y, doy, mp, d, m) {
	z = days + 719468; era = int(z / 146097); doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
	m = mp < 10 ? mp + 3 : mp - 9; if (m <= 2) y++
	return sprintf("%04d-%02d-%02d", y, m, d)
}
function normal() { return sqrt(-2 * log(rand() + 1e-12)) * cos(6.283185307179586 * rand()) }
BEGIN {
	srand(seed); t0 = 1767571200; n = 0
	for (m = 0; m < (23 * 24 + 12) * 60; m++) {
		if (m % 60 == 0) wob = exp(0.05 * normal())
		for (k = 0; k < 2; k++) {
			end = t0 + m * 60 + k * 30
			how = int((end - t0) / 3600) % 168; day = int(how / 24); hr = how % 24
			med = (day < 5 && hr >= 13 && hr <= 21) ? 6000 : 800
			model = "gpt-4o-2024-08-06"
			if (end - t0 >= (14 + 2) * 86400 + 12 * 3600) { med *= 1.6; model = "gpt-4o-2024-11-20" }
			total = med * wob * exp(0.35 * normal())
			start = end - total / 1000
			s = int(start); ms = int((start - s) * 1000)
			printf "{\"schema_version\":1,\"ts\":\"%sT%02d:%02d:%02d.%03dZ\",\"request_id\":\"r%d\",\"provider\":\"openai\",\"model\":\"%s\",\"transport\":{\"total_ms\":%.1f},\"http\":{\"status\":200},\"usage\":{\"input_tokens\":20000,\"output_tokens\":300}}\n", civil(int(s / 86400)), int(s % 86400 / 3600), int(s % 3600 / 60), s % 60, ms, n++, model, total
		}
	}
}
