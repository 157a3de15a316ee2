/*
 * rollup.c: per-series minute and hour summaries (see rollup.h). The fold
 * adds a request to the open minute only; a minute is merged into its hour
 * when it closes, so a request costs one rollup_add() whatever the spans.
 */
#include "core/rollup.h"

#include "core/semantic.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void rollup_series_of(const struct observation *obs, bool aggregate, struct rollup_series *out)
{
	memset(out, 0, sizeof(*out));
	model_copy_str(out->provider, sizeof(out->provider), obs->pid.provider, (size_t)-1);
	if (!aggregate)
		model_copy_str(out->alias, sizeof(out->alias), obs->pid.model,
		               semantic_model_alias_len(obs->pid.model));
	out->source = obs->source;
}

int rollup_series_name(const struct rollup_series *k, char *buf, size_t size)
{
	return snprintf(buf, size, "%s/%s %s", k->provider, k->alias[0] ? k->alias : "(all)",
	                k->source == OBS_PROBE ? "probe" : "gateway");
}

int rollup_err_of(const struct observation *obs)
{
	/* By normalised error class; -2: none, look further. */
	static const signed char by_class[EC__COUNT] = {
		[EC_OK] = -2,
		[EC_RATE_LIMIT] = RU_RATE_LIMIT,
		[EC_QUOTA_EXHAUSTED] = RU_OTHER,
		[EC_SPEND_CAP] = RU_OTHER,
		[EC_OVERLOADED] = RU_SERVER,
		[EC_SERVER_ERROR] = RU_SERVER,
		[EC_TIMEOUT] = RU_TIMEOUT,
		[EC_AUTH] = RU_OTHER,
		[EC_PERMISSION] = RU_OTHER,
		[EC_INVALID_REQUEST] = RU_INVALID,
		[EC_CONTEXT_LENGTH] = RU_INVALID,
		[EC_NOT_FOUND] = RU_INVALID,
		[EC_TOO_LARGE] = RU_INVALID,
		[EC_CONTENT_FILTER] = RU_CONTENT_FILTER,
		[EC_TRANSPORT] = RU_TIMEOUT,
		[EC_OTHER] = RU_OTHER,
	};
	if (obs->transport_error != TE_NONE)
		return RU_TIMEOUT;
	unsigned ec = (unsigned)obs->norm.error_class;
	int e = ec < EC__COUNT ? by_class[ec] : RU_OTHER;
	if (e != -2)
		return e;
	/* The usual answer, first. */
	if (obs->http_status < 400 && !obs->norm.safety_block && !obs->norm.stream_error &&
	    obs->norm.finish != FR_CONTENT_FILTER)
		return -1;
	/* A gateway line may carry a status and flags without an error class. */
	if (obs->norm.safety_block || obs->norm.finish == FR_CONTENT_FILTER)
		return RU_CONTENT_FILTER;
	if (obs->norm.stream_error)
		return RU_SERVER;
	int st = obs->http_status;
	if (st == 429)
		return RU_RATE_LIMIT;
	if (st == 408 || st == 504)
		return RU_TIMEOUT;
	if (st >= 500)
		return RU_SERVER;
	if (st == 401 || st == 402 || st == 403)
		return RU_OTHER;
	if (st >= 400)
		return RU_INVALID;
	return -1;
}

/* ln(1 + i / 256) for i = 0..256 (printed by Python's math.log, 17
 * significant digits: each is the double nearest the true value). */
static const double ln_knots[257] = {
	0.0,
	0.003898640415657323,
	0.007782140442054949,
	0.011650617219975274,
	0.015504186535965254,
	0.019342962843130935,
	0.02316705928153438,
	0.026976587698202076,
	0.030771658666753687,
	0.034552381506659735,
	0.0383188643021366,
	0.04207121392068706,
	0.0458095360312942,
	0.04953393512227663,
	0.053244514518812285,
	0.056941376400138424,
	0.06062462181643484,
	0.06429435070539725,
	0.06795066190850775,
	0.07159365318700882,
	0.07522342123758753,
	0.07884006170777602,
	0.08244366921107459,
	0.08603433734180316,
	0.08961215868968714,
	0.0931772248541833,
	0.09672962645855111,
	0.10026945316367515,
	0.10379679368164356,
	0.10731173578908805,
	0.11081436634029011,
	0.11430477128005863,
	0.11778303565638346,
	0.12124924363286968,
	0.12470347850095724,
	0.12814582269193003,
	0.13157635778871926,
	0.13499516453750482,
	0.13840232285911913,
	0.14179791186025734,
	0.1451820098444979,
	0.14855469432313714,
	0.15191604202584197,
	0.15526612891112396,
	0.15860503017663857,
	0.16193282026931324,
	0.16524957289530717,
	0.16855536102980667,
	0.17185025692665923,
	0.17513433212784915,
	0.1784076574728183,
	0.18167030310763468,
	0.184922338494012,
	0.188163832418183,
	0.19139485299962947,
	0.19461546769967167,
	0.19782574332991987,
	0.20102574606059073,
	0.2042155414286909,
	0.2073951943460706,
	0.21056476910734964,
	0.21372432939771813,
	0.21687393830061436,
	0.2200136583052821,
	0.22314355131420976,
	0.22626367865045338,
	0.22937410106484582,
	0.23247487874309405,
	0.2355660713127669,
	0.238647737850175,
	0.24171993688714516,
	0.24478272641769092,
	0.24783616390458127,
	0.25088030628580943,
	0.25391520998096345,
	0.2569409308975004,
	0.25995752443692605,
	0.26296504550088134,
	0.26596354849713794,
	0.26895308734550394,
	0.27193371548364176,
	0.2749054858727992,
	0.2778684510034563,
	0.2808226629008878,
	0.2837681731306446,
	0.2867050328039543,
	0.28963329258304266,
	0.29255300268637746,
	0.2954642128938359,
	0.2983669725517973,
	0.3012613305781618,
	0.3041473354672967,
	0.3070250352949119,
	0.3098944777228647,
	0.3127557100038969,
	0.31560877898630335,
	0.3184537311185346,
	0.3212906124537343,
	0.324119468654212,
	0.32694034499585334,
	0.329753286372468,
	0.3325583373000766,
	0.3353555419211378,
	0.3381449440087164,
	0.3409265869705932,
	0.34370051385331846,
	0.34646676734620857,
	0.34922538978528833,
	0.3519764231571782,
	0.35471990910292905,
	0.3574558889218038,
	0.3601844035750078,
	0.3629054936893685,
	0.3656191995609647,
	0.3683255611587076,
	0.3710246181278727,
	0.37371640979358406,
	0.3764009751642531,
	0.37907835293496944,
	0.38174858149084834,
	0.38441169891033206,
	0.3870677429684483,
	0.3897167511400252,
	0.3923587606028639,
	0.394993808240869,
	0.39762193064713847,
	0.4002431641270127,
	0.40285754470108354,
	0.4054651081081644,
	0.4080658898082217,
	0.4106599249852684,
	0.4132472485502193,
	0.415827895143711,
	0.4184018991388838,
	0.42096929464412963,
	0.4235301155058033,
	0.4260843953109001,
	0.4286321673896988,
	0.4311734648183713,
	0.4337083204215594,
	0.43623676677491807,
	0.43875883620762796,
	0.4412745608048752,
	0.443783972410301,
	0.44628710262841953,
	0.4487839828270067,
	0.45127464413945856,
	0.4537591174671205,
	0.4562374334815876,
	0.4587096226269767,
	0.46117571512217015,
	0.4636357409630325,
	0.46608972992459924,
	0.46853771156323926,
	0.470979715218791,
	0.4734157700166721,
	0.4758459048699639,
	0.47827014848147026,
	0.4806885293457519,
	0.4831010757511358,
	0.4855078157817008,
	0.487908777319239,
	0.4903039880451938,
	0.49269347544257525,
	0.4950772667978515,
	0.49745538920281895,
	0.4998278695564493,
	0.5021947345667155,
	0.5045560107523953,
	0.5069117244448543,
	0.5092619017898079,
	0.5116065687490621,
	0.5139457511022343,
	0.5162794744484545,
	0.5186077642080457,
	0.5209306456241853,
	0.5232481437645479,
	0.5255602835229274,
	0.5278670896208424,
	0.5301685866091216,
	0.5324647988694718,
	0.5347557506160276,
	0.5370414658968836,
	0.5393219685956089,
	0.5415972824327444,
	0.5438674309672835,
	0.5461324375981357,
	0.5483923255655732,
	0.5506471179526623,
	0.5528968376866777,
	0.5551415075405016,
	0.5573811501340064,
	0.5596157879354227,
	0.5618454432626918,
	0.564070138284803,
	0.5662898950231159,
	0.5685047353526688,
	0.5707146810034716,
	0.5729197535617855,
	0.575119974471388,
	0.5773153650348236,
	0.5795059464146423,
	0.5816917396346225,
	0.5838727655809827,
	0.5860490450035782,
	0.5882205985170861,
	0.5903874466021763,
	0.5925496096066716,
	0.5947071077466928,
	0.5968599611077938,
	0.5990081896460834,
	0.6011518131893349,
	0.6032908514380843,
	0.6054253239667169,
	0.6075552502245418,
	0.6096806495368553,
	0.6118015411059929,
	0.6139179440123705,
	0.616029877215514,
	0.6181373595550788,
	0.6202404097518576,
	0.6223390464087788,
	0.6244332880118935,
	0.6265231529313527,
	0.6286086594223741,
	0.6306898256261987,
	0.6327666695710378,
	0.6348392091730102,
	0.6369074622370692,
	0.6389714464579207,
	0.6410311794209312,
	0.6430866786030273,
	0.6451379613735847,
	0.6471850449953096,
	0.6492279466251099,
	0.6512666833149581,
	0.6533012720127457,
	0.6553317295631277,
	0.65735807270836,
	0.6593803180891278,
	0.661398482245365,
	0.6634125816170663,
	0.6654226325450905,
	0.6674286512719562,
	0.6694306539426292,
	0.6714286566053024,
	0.6734226752121667,
	0.6754127256201767,
	0.6773988235918061,
	0.6793809847957973,
	0.6813592248079031,
	0.6833335591116206,
	0.6853040030989194,
	0.6872705720709603,
	0.689233281238809,
	0.691192145724142,
	0.6931471805599453,
};

/* ln x for the mean metrics, without libm's log (it runs twice a request):
 * x = 2^e m with m in [1, 2), ln m interpolated linearly between the knots
 * of ln_knots (m's top 8 fraction bits pick the knot, the other 44 the
 * place between two): within (1/256)^2 / 8 < 2e-6 of ln x. Learning and
 * judging read the same values, so what error there is cancels. */
static double fast_ln(double x)
{
	uint64_t bits;
	memcpy(&bits, &x, sizeof(bits));
	/* sign and biased exponent: 2^-1000 <= x < 2^1001 (no zero, negative,
	 * subnormal, infinite or NaN x) in one compare */
	if ((bits >> 52) - 23u > 2023u - 23u)
		return x > 0 ? log(x) : NAN;
	int e = (int)(bits >> 52) - 1023;
	unsigned i = (unsigned)((bits >> 44) & 0xffu);
	double f = (double)(bits & 0xfffffffffffULL) * 0x1p-44;
	double a = ln_knots[i];
	return (double)e * 0.6931471805599453 + a + (ln_knots[i + 1] - a) * f;
}

void rollup_sample_of(const struct observation *obs, const struct semantic_verdicts *v,
                      struct rollup_sample *s)
{
	rollup_sample_at(obs, v, obs->total_ms > 0 ? lhist_index(obs->total_ms) : 0, s);
}

void rollup_sample_at(const struct observation *obs, const struct semantic_verdicts *v,
                      size_t lat_bucket, struct rollup_sample *s)
{
	s->err = rollup_err_of(obs);
	bool ok = s->err < 0;
	double total = obs->total_ms, ttfb = obs->ttfb_ms;
	s->latency_ms = ok && total > 0 ? total : NAN;
	s->lat_bucket = ok && total > 0 ? lat_bucket : 0;
	bool ttft = ok && obs->stream == VG_TRI_TRUE && ttfb > 0;
	s->ttft_ms = ttft ? ttfb : NAN;
	s->ttft_bucket = ttft ? lhist_index(ttfb) : 0;
	int64_t in = observation_input_tokens(obs), out = observation_output_tokens(obs);
	s->prompt_tokens = vg_has(in) && in > 0 ? (double)in : 0;
	s->completion_tokens = vg_has(out) && out > 0 ? (double)out : 0;
	s->cost_usd = obs->cost_usd >= 0 ? obs->cost_usd : 0;
	s->tps_log = NAN;
	if (ok && s->completion_tokens > 0 && total > 0) {
		double gen = ttfb > 0 && ttfb < total ? total - ttfb : total;
		s->tps_log = fast_ln(s->completion_tokens * 1000.0 / gen);
	}
	double tokens = s->prompt_tokens + s->completion_tokens;
	s->cost_log = s->cost_usd > 0 && tokens > 0 ? fast_ln(s->cost_usd * 1000.0 / tokens) : NAN;
	s->quality = semantic_quality_pass(v ? v : &obs->verdicts);
	s->model = obs->pid.model;
}

void rollup_init(struct rollup *r, int64_t start_ms, int64_t span_ms)
{
	memset(r, 0, sizeof(*r));
	r->start_ms = start_ms;
	r->span_ms = span_ms;
}

void rollup_add(struct rollup *r, const struct rollup_sample *s)
{
	r->requests += 1;
	if (s->err >= 0 && s->err < RU_ERR__COUNT)
		r->errors[s->err] += 1;
	else
		r->successes += 1;
	/* lhist_add_at() without the call: this runs per request and series. */
	if (s->latency_ms > 0 && s->lat_bucket < LHIST_BUCKETS) {
		r->latency.b[s->lat_bucket] += 1;
		r->latency.total += 1;
	}
	if (s->ttft_ms > 0 && s->ttft_bucket < LHIST_BUCKETS) {
		r->ttft.b[s->ttft_bucket] += 1;
		r->ttft.total += 1;
	}
	r->prompt_tokens += s->prompt_tokens;
	r->completion_tokens += s->completion_tokens;
	r->cost_usd += s->cost_usd;
	if (!isnan(s->tps_log)) {
		r->tps_n += 1;
		r->tps_log += s->tps_log;
		r->tps_log2 += s->tps_log * s->tps_log;
	}
	if (!isnan(s->cost_log)) {
		r->cost_n += 1;
		r->cost_log += s->cost_log;
		r->cost_log2 += s->cost_log * s->cost_log;
	}
	if (s->quality == 1.0)
		r->quality_pass += 1;
	else if (s->quality == 0.0)
		r->quality_fail += 1;
}

void rollup_merge(struct rollup *dst, const struct rollup *src)
{
	dst->requests += src->requests;
	dst->successes += src->successes;
	for (int i = 0; i < RU_ERR__COUNT; i++)
		dst->errors[i] += src->errors[i];
	dst->prompt_tokens += src->prompt_tokens;
	dst->completion_tokens += src->completion_tokens;
	dst->cost_usd += src->cost_usd;
	dst->tps_n += src->tps_n;
	dst->tps_log += src->tps_log;
	dst->tps_log2 += src->tps_log2;
	dst->cost_n += src->cost_n;
	dst->cost_log += src->cost_log;
	dst->cost_log2 += src->cost_log2;
	dst->quality_pass += src->quality_pass;
	dst->quality_fail += src->quality_fail;
	dst->flags |= src->flags;
	if (src->model[0])
		memcpy(dst->model, src->model, sizeof(dst->model));
	if (src->latency.total > 0)
		lhist_merge(&dst->latency, &src->latency);
	if (src->ttft.total > 0)
		lhist_merge(&dst->ttft, &src->ttft);
}

void rollup_acc_init(struct rollup_acc *a)
{
	memset(a, 0, sizeof(*a));
}

static int64_t floor_to(int64_t t, int64_t span)
{
	int64_t r = t % span;
	return r < 0 ? t - r - span : t - r;
}

int rollup_roll(struct rollup_acc *a, int64_t now, struct rollup *closed_minute,
                struct rollup *closed_hour)
{
	if (!a->open) {
		rollup_init(&a->minute, floor_to(now, ROLLUP_MINUTE_MS), ROLLUP_MINUTE_MS);
		rollup_init(&a->hour, floor_to(now, ROLLUP_HOUR_MS), ROLLUP_HOUR_MS);
		a->open = true;
		return 0;
	}
	if (now < a->minute.start_ms + ROLLUP_MINUTE_MS)
		return 0;
	int closed = 0;
	/* The model version carries over: a marker is a change against it. */
	char model[VG_MODEL_MAX];
	memcpy(model, a->minute.model, sizeof(model));
	if (a->minute.requests > 0) {
		rollup_merge(&a->hour, &a->minute);
		memcpy(closed_minute, &a->minute, sizeof(*closed_minute));
		closed |= ROLLUP_CLOSED_MINUTE;
	}
	if (now >= a->hour.start_ms + ROLLUP_HOUR_MS) {
		if (a->hour.requests > 0) {
			memcpy(closed_hour, &a->hour, sizeof(*closed_hour));
			closed |= ROLLUP_CLOSED_HOUR;
		}
		rollup_init(&a->hour, floor_to(now, ROLLUP_HOUR_MS), ROLLUP_HOUR_MS);
		memcpy(a->hour.model, model, sizeof(model));
	}
	rollup_init(&a->minute, floor_to(now, ROLLUP_MINUTE_MS), ROLLUP_MINUTE_MS);
	memcpy(a->minute.model, model, sizeof(model));
	return closed;
}

void rollup_note_model(struct rollup_acc *a, const char *model)
{
	if (!model || !model[0] || strcmp(model, a->minute.model) == 0)
		return;
	/* A new version answers for the alias; the first one seen and a return
	 * to the one before (two versions in use) are no change. */
	if (a->minute.model[0] && strcmp(model, a->prev_model) != 0)
		a->minute.flags |= ROLLUP_F_MARKER;
	memcpy(a->prev_model, a->minute.model, sizeof(a->prev_model));
	model_copy_str(a->minute.model, sizeof(a->minute.model), model, (size_t)-1);
}

int rollup_fold(struct rollup_acc *a, const struct rollup_sample *s, bool aggregate, int64_t now,
                struct rollup *closed_minute, struct rollup *closed_hour)
{
	int closed = rollup_roll(a, now, closed_minute, closed_hour);
	if (!aggregate)
		rollup_note_model(a, s->model);
	rollup_add(&a->minute, s);
	return closed;
}

double rollup_quantile_q(int i)
{
	return i <= 0 ? 0.50 : i == 1 ? 0.95 : 0.99;
}

static void mean_var(double n, double sum, double sum2, double *mean, double *var)
{
	*mean = n > 0 ? sum / n : NAN;
	*var = n > 1 ? fmax(0.0, (sum2 - n * *mean * *mean) / (n - 1)) : NAN;
}

void rollup_stats_of(const struct rollup *r, struct rollup_stats *st)
{
	st->requests = r->requests;
	st->lat_n = r->latency.total;
	st->ttft_n = r->ttft.total;
	for (int i = 0; i < 3; i++) {
		double q = rollup_quantile_q(i);
		st->lat_log[i] = st->lat_n > 0 ? log(lhist_quantile(&r->latency, q)) : NAN;
		st->ttft_log[i] = st->ttft_n > 0 ? log(lhist_quantile(&r->ttft, q)) : NAN;
	}
	st->tps_n = r->tps_n;
	mean_var(r->tps_n, r->tps_log, r->tps_log2, &st->tps_mean, &st->tps_var);
	st->cost_n = r->cost_n;
	mean_var(r->cost_n, r->cost_log, r->cost_log2, &st->cost_mean, &st->cost_var);
	st->quality_n = r->quality_pass + r->quality_fail;
}
