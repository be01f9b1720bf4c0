# Test-only fix for moto 5.2 with IAM enforcement: it verifies SigV4 signatures against the URL werkzeug
# rebuilds, which has %2F (and other escapes) in the query decoded, while AWS (and every SDK) signs the
# query with everything but A-Z a-z 0-9 - _ . ~ percent-encoded. So any S3 listing with a prefix or
# delimiter containing "/" fails with SignatureDoesNotMatch. Re-encoding each key and value the way SigV4
# defines it makes moto check what the client signed. Loaded through PYTHONPATH by the report-lambda
# integration tests only; tools/local-aws should carry the same fix in its moto wrapper.
from urllib.parse import quote, unquote

import botocore.auth as _auth


def _canonical_query_string_url(self, parts):
    if not parts.query:
        return ''
    pairs = []
    for pair in parts.query.split('&'):
        key, _, value = pair.partition('=')
        pairs.append((quote(unquote(key), safe='-_.~'), quote(unquote(value), safe='-_.~')))
    return '&'.join(f'{key}={value}' for key, value in sorted(pairs))


_auth.SigV4Auth._canonical_query_string_url = _canonical_query_string_url
