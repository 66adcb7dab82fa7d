<?php
// The comparison for sdksign's CGI row: the Zoom Meeting SDK signature as a shared-hosting user would write
// it in plain PHP, run by php-cgi once per request (bench/run). Reads the JSON body, builds the same HS256
// token as sdksign (the same claims in the same order) with hash_hmac, and answers {signature, sdkKey}.
// The key and secret come from the environment, as sdksign's env provider reads them. Not a product: it
// checks only what the benchmark's body needs.

function base64url(string $data): string {
    return rtrim(strtr(base64_encode($data), '+/', '-_'), '=');
}

$key = getenv('ZOOM_MEETING_SDK_KEY');
$secret = getenv('ZOOM_MEETING_SDK_SECRET');
$request = json_decode(file_get_contents('php://input'), true);
if (!is_array($request) || !isset($request['meetingNumber'], $request['role']) || $key === false ||
    $secret === false) {
    header('Status: 400 Bad Request');
    header('Content-Type: application/json; charset=utf-8');
    echo json_encode(['errors' => [['property' => 'body', 'reason' => 'meetingNumber and role are required']]]);
    exit;
}
$iat = time();
$exp = $iat + (int)($request['expirationSeconds'] ?? 7200);
$claims = ['appKey' => $key, 'sdkKey' => $key, 'mn' => $request['meetingNumber'], 'role' => (int)$request['role'],
           'iat' => $iat, 'exp' => $exp, 'tokenExp' => $exp];
$unsigned = base64url(json_encode(['alg' => 'HS256', 'typ' => 'JWT'])) . '.' . base64url(json_encode($claims));
$signature = $unsigned . '.' . base64url(hash_hmac('sha256', $unsigned, $secret, true));
header('Content-Type: application/json; charset=utf-8');
header('Cache-Control: no-store');
echo json_encode(['signature' => $signature, 'sdkKey' => $key]);
