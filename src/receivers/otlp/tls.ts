// The server TLS block is shared by every listener; it lives in the server kit (src/net/).
export { loadServerTls, type ServerTlsFiles, type ServerTlsMaterial } from '../../net/server-tls.js';
