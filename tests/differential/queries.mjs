// Query pairs: Cairn SQL (via /api/data) and the DuckDB SQL that must give the
// same answer on table `events` (see dataset.mjs for the columns).
//
// Semantics encoded on the DuckDB side:
// - Seq's `not undefined` is true: `not (StatusCode = 200)` also matches events
//   without StatusCode, hence `status is null or status <> 200`.
// - `is null` is true for null and missing properties alike; `Has(x)` is true
//   for a property present with value null (column has_user).
// - count(distinct(x)) counts null as a value when some event has x = null.
// - percentile(x, p) is nearest-rank: the value at 1-based rank ceil(p/100*n)
//   of the sorted values (list_sort(...)[rank]).
// - first/last: the value of the earliest/latest event (timestamp, then
//   arrival) among events where the property is defined.
// - Undefined group keys form one group, output as null.
// - Slices: time buckets from rangeStartUtc; only non-empty slices compared.

const ticks = (x) => `(epoch_us(${x}) * 10 + 621355968000000000)`;
const nearest = (col, p) =>
  `list_sort(list(${col}) FILTER (WHERE ${col} IS NOT NULL))[greatest(1, ceil(${p} / 100.0 * count(${col})))::BIGINT]`;
const seed_key = `CASE WHEN strpos(exc, ':') = 0 THEN NULL ELSE substr(exc, 1, strpos(exc, ':') - 1) END`;

export const pairs = [
  ['count all', `select count(*) from stream`, `select count(*) from events`],
  ['count by level', `select count(*) from stream group by @Level`, `select level, count(*) from events group by level`],
  ['level = Error', `select count(*) from stream where @Level = 'Error'`, `select count(*) from events where level = 'Error'`],
  ['level = Information (incl. absent)', `select count(*) from stream where @Level = 'Information'`,
    `select count(*) from events where level = 'Information'`],
  ['level in list', `select count(*) from stream where @Level in ['Error', 'Fatal']`,
    `select count(*) from events where level in ('Error', 'Fatal')`],
  ['level ci', `select count(*) from stream where @Level = 'warning' ci`, `select count(*) from events where lower(level) = 'warning'`],
  ['like prefix', `select count(*) from stream where RequestPath like '/api/%'`, `select count(*) from events where path like '/api/%'`],
  ['like ci', `select count(*) from stream where RequestPath like '/API/ORDERS%' ci`,
    `select count(*) from events where path ilike '/API/ORDERS%'`],
  ['not like', `select count(*) from stream where RequestPath not like '%orders%'`,
    `select count(*) from events where path not like '%orders%'`],
  ['int comparison', `select count(*) from stream where StatusCode >= 500`, `select count(*) from events where status >= 500`],
  ['int in list', `select count(*) from stream where StatusCode in [404, 401]`, `select count(*) from events where status in (404, 401)`],
  ['is null (null or missing)', `select count(*) from stream where UserId is null`, `select count(*) from events where user_id is null`],
  ['is not null', `select count(*) from stream where UserId is not null`, `select count(*) from events where user_id is not null`],
  ['has (null counts as present)', `select count(*) from stream where Has(UserId)`, `select count(*) from events where has_user`],
  ['and', `select count(*) from stream where Elapsed > 100 and StatusCode = 200`,
    `select count(*) from events where elapsed > 100 and status = 200`],
  ['or', `select count(*) from stream where Elapsed < 5 or StatusCode = 503`,
    `select count(*) from events where coalesce(elapsed < 5, false) or coalesce(status = 503, false)`],
  ['not of undefined is true', `select count(*) from stream where not (StatusCode = 200)`,
    `select count(*) from events where status is null or status <> 200`],
  ['<> on missing is undefined', `select count(*) from stream where StatusCode <> 200`, `select count(*) from events where status <> 200`],
  ['float range', `select count(*) from stream where Elapsed >= 1 and Elapsed <= 2`,
    `select count(*) from events where elapsed between 1 and 2`],
  ['group by property', `select count(*) from stream group by RequestPath`, `select path, count(*) from events group by path`],
  ['group by two keys', `select count(*) from stream group by Application, @Level`,
    `select app, level, count(*) from events group by app, level`],
  ['aggregates by path', `select count(*), sum(Elapsed), min(Elapsed), max(Elapsed), mean(Elapsed) from stream group by RequestPath`,
    `select path, count(*), sum(elapsed), min(elapsed), max(elapsed), avg(elapsed) from events group by path`],
  ['percentile 95 by path', `select percentile(Elapsed, 95) from stream group by RequestPath`,
    `select path, ${nearest('elapsed', 95)} from events group by path`],
  ['percentile 50 and 99', `select percentile(Elapsed, 50), percentile(Elapsed, 99) from stream`,
    `select ${nearest('elapsed', 50)}, ${nearest('elapsed', 99)} from events`],
  ['percentile 90 of ints by app', `select percentile(StatusCode, 90) from stream group by Application`,
    `select app, ${nearest('status', 90)} from events group by app`],
  ['count(distinct)', `select count(distinct(UserId)) from stream`,
    `select count(distinct user_id) + (case when bool_or(has_user and user_id is null) then 1 else 0 end) from events`],
  ['count(distinct) by app', `select count(distinct(RequestPath)) from stream group by Application`,
    `select app, count(distinct path) from events group by app`],
  ['count(x) skips null', `select count(RequestPath), count(UserId) from stream`, `select count(path), count(user_id) from events`],
  ['first/last', `select first(RequestPath), last(RequestPath) from stream group by Application`,
    `select app, arg_min(path, (ts, seq)) filter (where path is not null), arg_max(path, (ts, seq)) filter (where path is not null) from events group by app`],
  ['having', `select count(*) as n from stream group by RequestPath having n > 500`,
    `select path, count(*) as n from events group by path having count(*) > 500`],
  ['order by + limit', `select count(*) as n from stream group by RequestPath order by n desc limit 5`,
    `select path, count(*) as n from events group by path order by n desc limit 5`, { ordered: true }],
  ['seed query', `select count(*) from stream group by Substring(@Exception, 0, IndexOf(@Exception, ':'))`,
    `select ${seed_key}, count(*) from events group by 1`],
  ['free text', `select count(*) from stream where "timed out"`,
    `select count(*) from events where msg ilike '%timed out%' or exc ilike '%timed out%'`],
  ['free text in exception only', `select count(*) from stream where "deadlock"`,
    `select count(*) from events where msg ilike '%deadlock%' or exc ilike '%deadlock%'`],
  ['message like', `select count(*) from stream where @Message like '%signed in from 10.0.1.%'`,
    `select count(*) from events where msg like '%signed in from 10.0.1.%'`],
  ['free text by level, and a property', `select count(*) from stream where "timed out" and Application <> 'Billing' group by @Level`,
    `select level, count(*) from events where (msg ilike '%timed out%' or exc ilike '%timed out%') and coalesce(app <> 'Billing', false) group by level`],
  ['message like or level in a time window', `select count(*) from stream where (@Message like '%responded 5%' or @Level = 'Fatal') and @Timestamp >= DateTime('2024-01-15T07:30:00Z') and @Timestamp < DateTime('2024-01-15T09:10:00Z') group by RequestMethod`,
    `select method, count(*) from events where (msg like '%responded 5%' or level = 'Fatal') and ts >= timestamp '2024-01-15 07:30:00' and ts < timestamp '2024-01-15 09:10:00' group by method`],
  ['exception group by app', `select count(*) from stream where @Exception is not null group by Application`,
    `select app, count(*) from events where exc is not null group by app`],
  ['StartsWith/EndsWith', `select count(*) from stream where StartsWith(RequestPath, '/api') and EndsWith(RequestPath, 's')`,
    `select count(*) from events where starts_with(path, '/api') and ends_with(path, 's')`],
  ['Contains ci', `select count(*) from stream where Contains(@Message, 'ORDER') ci`,
    `select count(*) from events where contains(lower(msg), 'order')`],
  ['IndexOf on message', `select count(*) from stream where IndexOf(@Message, 'failed') >= 0`,
    `select count(*) from events where strpos(msg, 'failed') > 0`],
  ['Substring key', `select count(*) from stream group by Substring(RequestPath, 0, 8)`,
    `select substr(path, 1, 8), count(*) from events group by 1`],
  ['Length', `select count(*) from stream where Length(RequestPath) > 10`, `select count(*) from events where length(path) > 10`],
  ['ToUpper', `select count(*) from stream where ToUpper(RequestMethod) = 'GET'`, `select count(*) from events where upper(method) = 'GET'`],
  ['equality ci', `select count(*) from stream where RequestMethod = 'get' ci`, `select count(*) from events where lower(method) = 'get'`],
  ['sum/max of floats with filter', `select sum(Total), max(Total), min(Total) from stream where Total > 100`,
    `select sum(total), max(total), min(total) from events where total > 100`],
  ['trace ids', `select count(*) from stream where @TraceId is not null`, `select count(*) from events where trace_id is not null`],
  ['timestamp window', `select count(*) from stream where @Timestamp >= DateTime('2024-01-15T07:00:00Z') and @Timestamp < DateTime('2024-01-15T08:00:00Z')`,
    `select count(*) from events where ts >= timestamp '2024-01-15 07:00:00' and ts < timestamp '2024-01-15 08:00:00'`],
  ['min/max timestamp (ticks)', `select min(@Timestamp), max(@Timestamp) from stream`,
    `select ${ticks('min(ts)')}, ${ticks('max(ts)')} from events`],
  ['modulo', `select count(*) from stream where OrderId % 7 = 0`, `select count(*) from events where order_id % 7 = 0`],
  ['mean of ints by method', `select mean(StatusCode) from stream group by RequestMethod`,
    `select method, avg(status) from events group by method`],
  ['in list on strings', `select count(*) from stream where CacheKey in ['user:profile', 'cart:summary'] group by CacheKey`,
    `select cache_key, count(*) from events where cache_key in ('user:profile', 'cart:summary') group by cache_key`],
  ['selective and', `select count(*) from stream where StatusCode > 399 and RequestPath like '%orders%'`,
    `select count(*) from events where status > 399 and path like '%orders%'`],
  ['group by time(1m)', `select count(*) from stream group by time(1m)`,
    `select time_bucket(interval '1 minute', ts, timestamp '2024-01-15 06:00:00'), count(*) from events group by 1`, { slices: true }],
  ['errors by time(10m)', `select count(*) from stream where @Level = 'Error' group by time(10m)`,
    `select time_bucket(interval '10 minutes', ts, timestamp '2024-01-15 06:00:00'), count(*) from events where level = 'Error' group by 1`,
    { slices: true }],
  ['time(30m) by level (series)', `select count(*) from stream group by time(30m), @Level`,
    `select time_bucket(interval '30 minutes', ts, timestamp '2024-01-15 06:00:00'), level, count(*) from events group by 1, 2`,
    { slices: true }],
  ['percentile by time(1h)', `select percentile(Elapsed, 95), max(Elapsed) from stream group by time(1h)`,
    `select time_bucket(interval '1 hour', ts, timestamp '2024-01-15 06:00:00'), ${nearest('elapsed', 95)}, max(elapsed) from events group by 1`,
    { slices: true }],
];

/// Filter-only checks through GET /api/events: [name, filter, DuckDB count SQL].
export const event_filters = [
  ['events: Fatal', `@Level = 'Fatal'`, `select count(*) from events where level = 'Fatal'`],
  ['events: 503 on checkout', `StatusCode = 503 and RequestPath = '/api/checkout'`,
    `select count(*) from events where status = 503 and path = '/api/checkout'`],
  ['events: free text', `"Connection refused"`,
    `select count(*) from events where msg ilike '%connection refused%' or exc ilike '%connection refused%'`],
];
