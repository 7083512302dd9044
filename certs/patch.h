/*
 * certs/patch.h - `migration-webhook certs patch`: the serving certificate
 * set up inside the cluster (a TLS Secret, the caBundle of the webhook
 * configurations).
 */
#ifndef MW_CERTS_PATCH_H
#define MW_CERTS_PATCH_H

/*
 * `certs patch --namespace NS --secret-name S --host a,b,c [--webhook-name W]
 * [--days N] [--kubeconfig FILE]`; argv[0] = "patch".  Creates the
 * kubernetes.io/tls Secret NS/S (ca.crt, tls.crt, tls.key) when it is
 * missing, keeps it when it exists, and with --webhook-name sets the Secret's
 * CA as caBundle on every webhook of the Validating- and
 * MutatingWebhookConfiguration W.  Returns the exit code: 0 done, 1 the
 * cluster said no (or W does not exist yet), 2 usage or configuration error.
 */
int certs_patch(int argc, char **argv);

#endif
