/**
 * The demo site's phone key, erin-phone (src/app/demo/demoSite.ts holds its public half). A
 * well-known key, like the demo PINs and cards: it opens nothing but a demo site.
 */
export const DEMO_PHONE_CREDENTIAL = 'erin-phone';
export const DEMO_PHONE_PRIVATE_KEY_PKCS8 = 'MC4CAQAwBQYDK2VwBCIEIN9WHPOHWX8V9OjEsl09/Ht+4G99qqGirAen+HWY3g51';
