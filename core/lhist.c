/*
 * lhist.c: the log-bucket histogram (see lhist.h). The bucket of x is
 * ceil(log(x / LHIST_MIN) / log(LHIST_GAMMA)); quantiles walk the buckets.
 *
 * lhist_index() runs per request, twice: instead of log() it looks the
 * bucket up in bounds[], the largest double each bucket holds under that
 * formula (computed with glibc's log; test_lhist recomputes every entry by
 * bisection and checks each against it), so it gives the same bucket for
 * every double and the same buckets on every libm.
 */
#include "core/lhist.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

void lhist_init(struct lhist *h)
{
	memset(h, 0, sizeof(*h));
}

/* bounds[k]: the largest x with ceil(log(x / LHIST_MIN) * 50.49854429873557)
 * <= k (50.49... = 1 / log(LHIST_GAMMA)), for k < LHIST_BUCKETS - 1. */
static const double bounds[LHIST_BUCKETS - 1] = {
	0x1.999999999999ap-4,  0x1.a1cabe6c6f616p-4,  0x1.aa25d494f443fp-4,  0x1.b2abb2d218da1p-4,
	0x1.bb5d342e4c54fp-4,  0x1.c43b381579e29p-4,  0x1.cd46a26b76a7ep-4,  0x1.d6805ba2e291ap-4,
	0x1.dfe950d47e489p-4,  0x1.e98273d6f89f2p-4,  0x1.f34cbb5735decp-4,  0x1.fd4922f11361ep-4,
	0x1.03bc55a454fdp-3,   0x1.08ee2d1208d47p-3,  0x1.0e3a9d42d4a1ap-3,  0x1.13a22e637250fp-3,
	0x1.19256b59d2083p-3,  0x1.1ec4e1d30bdc7p-3,  0x1.2481225198ecdp-3,  0x1.2a5ac03bd54fbp-3,
	0x1.305251eacc46ep-3,  0x1.366870b95037bp-3,  0x1.3c9db9135fea9p-3,  0x1.42f2ca85da9cbp-3,
	0x1.496847ce847a2p-3,  0x1.4ffed6ec5d188p-3,  0x1.56b7213049995p-3,  0x1.5d91d34e141dbp-3,
	0x1.648f9d6dc2425p-3,  0x1.6bb1333d445fap-3,  0x1.72f74c027f56p-3,   0x1.7a62a2adb2b4ep-3,
	0x1.81f3f5ec3d152p-3,  0x1.89ac083bc08aap-3,  0x1.918b9ffda9174p-3,  0x1.9993878b17162p-3,
	0x1.a1c48d492f9ecp-3,  0x1.aa1f83bdd4e99p-3,  0x1.b2a541a4c8cb9p-3,  0x1.bb56a2053b671p-3,
	0x1.c4348447c83bfp-3,  0x1.cd3fcc4ce3ccep-3,  0x1.d6796283bc199p-3,  0x1.dfe234018e3a1p-3,
	0x1.e97b32997372ap-3,  0x1.f34554f4a8246p-3,  0x1.fd4196ab4f09cp-3,  0x1.03b87c2ed99e7p-2,
	0x1.08ea3fe705c71p-2,  0x1.0e369bfd60e21p-2,  0x1.139e189ca0336p-2,  0x1.192140a8a4e2fp-2,
	0x1.1ec0a1cc6d7dcp-2,  0x1.247ccc884edafp-2,  0x1.2a56544075d18p-2,  0x1.304dcf4bb334bp-2,
	0x1.3663d70293929p-2,  0x1.3c9907cec4391p-2,  0x1.42ee013ac70ccp-2,  0x1.49636601f6c55p-2,
	0x1.4ff9dc20dd2afp-2,  0x1.56b20ce5dcf8ep-2,  0x1.5d8ca5023111p-2,   0x1.648a549b42b6p-2,
	0x1.6babcf5c58883p-2,  0x1.72f1cc88a00dbp-2,  0x1.7a5d070d93931p-2,  0x1.81ee3d95be3f7p-2,
	0x1.89a6329be03c7p-2,  0x1.9185ac7e74dffp-2,  0x1.998d75939ccb4p-2,  0x1.a1be5c3d6e014p-2,
	0x1.aa1932feabfc9p-2,  0x1.b29ed08fe9daap-2,  0x1.bb500ff518bb4p-2,  0x1.c42dd093847c6p-2,
	0x1.cd38f648410b7p-2,  0x1.d672697f0a882p-2,  0x1.dfdb17499a874p-2,  0x1.e973f17774cc7p-2,
	0x1.f33deeae2dde9p-2,  0x1.fd3a0a822de61p-2,  0x1.03b4a2c7f929dp-1,  0x1.08e652cae86acp-1,
	0x1.0e329ac71f19ap-1,  0x1.139a02e54dd96p-1,  0x1.191d160746dcp-1,   0x1.1ebc61d5ef2ebp-1,
	0x1.247876cf77686p-1,  0x1.2a51e855dd28fp-1,  0x1.30494cbdb6dd8p-1,  0x1.365f3d5d4b459p-1,
	0x1.3c94569bf63d9p-1,  0x1.42e93801dc5a5p-1,  0x1.495e8447eee82p-1,  0x1.4ff4e16841eb2p-1,
	0x1.56acf8aeb5c1ep-1,  0x1.5d8776c9f618cp-1,  0x1.64850bdccfe23p-1,  0x1.6ba66b8fe010dp-1,
	0x1.72ec4d239cda5p-1,  0x1.7a576b82bb535p-1,  0x1.81e88554f33bbp-1,  0x1.89a05d1222ddfp-1,
	0x1.917fb915d4efp-1,   0x1.998763b32a618p-1,  0x1.a1b82b492a2fcp-1,  0x1.aa12e25779222p-1,
	0x1.b2985f937baaap-1,  0x1.bb497dfde3f29p-1,  0x1.c4271cf8ae42fp-1,  0x1.cd32205d8e00fp-1,
	0x1.d66b7094cd791p-1,  0x1.dfd3faaca2c9fp-1,  0x1.e96cb070fc447p-1,  0x1.f3368883c6a29p-1,
	0x1.fd327e75af89ap-1,  0x1.03b0c96fb3679p+0,  0x1.08e265bdb087p+0,   0x1.0e2e99a00f0ebp+0,
	0x1.1395ed3d7b083p+0,  0x1.1918eb75b7b7cp+0,  0x1.1eb821ef90b21p+0,  0x1.2474212712569p+0,
	0x1.2a4d7c7c0b163p+0,  0x1.3044ca40d7007p+0,  0x1.365aa3c9770ecp+0,  0x1.3c8fa57af5b4bp+0,
	0x1.42e46edb1a407p+0,  0x1.4959a2a06c9c5p+0,  0x1.4fefe6c28b115p+0,  0x1.56a7e48ad3ab3p+0,
	0x1.5d8248a562ea4p+0,  0x1.647fc332697afp+0,  0x1.6ba107d7daabdp+0,  0x1.72e6cdd3756ccp+0,
	0x1.7a51d00d29a52p+0,  0x1.81e2cd29dbb7bp+0,  0x1.899a879e881b5p+0,  0x1.9179c5c3c8eeap+0,
	0x1.998151e9bf81dp+0,  0x1.a1b1fa6c63d16p+0,  0x1.aa0c91c83bff4p+0,  0x1.b291eeaf7ddeep+0,
	0x1.bb42ec1f9cae9p+0,  0x1.c4206977452fep+0,  0x1.cd2b4a8cca4b2p+0,  0x1.d66477c50487cp+0,
	0x1.dfccde2aa69bcp+0,  0x1.e9656f860971ep+0,  0x1.f32f227572064p+0,  0x1.fd2af285d3881p+0,
	0x1.03acf02608208p+1,  0x1.08de78bf5de35p+1,  0x1.0e2a988830876p+1,  0x1.1391d7a527853p+1,
	0x1.1914c0f3f739fp+1,  0x1.1eb3e21951cafp+1,  0x1.246fcb8f1f673p+1,  0x1.2a4910b2ff59dp+1,
	0x1.304047d5135cbp+1,  0x1.36560a4716abap+1,  0x1.3c8af46bc25afp+1,  0x1.42dfa5c6807a3p+1,
	0x1.4954c10b6f9b7p+1,  0x1.4feaec2fb855dp+1,  0x1.56a2d07a366bap+1,  0x1.5d7d1a94773b3p+1,
	0x1.647a7a9c0f33fp+1,  0x1.6b9ba434480b7p+1,  0x1.72e14e982975ep+1,  0x1.7a4c34acde376p+1,
	0x1.81dd15147760fp+1,  0x1.8994b2410fa04p+1,  0x1.9173d28850897p+1,  0x1.997b40375bd47p+1,
	0x1.a1abc9a71a8c7p+1,  0x1.aa064150f4391p+1,  0x1.b28b7de3f01a4p+1,  0x1.bb3c5a5a4290fp+1,
	0x1.c419b60f48e21p+1,  0x1.cd2474d5f587ep+1,  0x1.d65d7f0faf501p+1,  0x1.dfc5c1c3a5961p+1,
	0x1.e95e2eb69bec7p+1,  0x1.f327bc832f9ecp+1,  0x1.fd2366b29974ep+1,  0x1.03a916eaf71dp+2,
	0x1.08da8bcff046fp+2,  0x1.0e26977f834a3p+2,  0x1.138dc21c53153p+2,  0x1.191096820526bp+2,
	0x1.1eafa253323bbp+2,  0x1.246b76079e5bfp+2,  0x1.2a44a4fab9b3fp+2,  0x1.303bc57a6bb0fp+2,
	0x1.365170d629da2p+2,  0x1.3c86436e5bec8p+2,  0x1.42dadcc40ec2ep+2,  0x1.494fdf88f79f4p+2,
	0x1.4fe5f1afc9713p+2,  0x1.569dbc7cddba2p+2,  0x1.5d77ec9732c07p+2,  0x1.64753219c0c17p+2,
	0x1.6b9640a527e27p+2,  0x1.72dbcf71b8a6cp+2,  0x1.7a469961d8b97p+2,  0x1.81d75d14c5e55p+2,
	0x1.898edcf9b9192p+2,  0x1.916ddf636b698p+2,  0x1.99752e9bff01fp+2,  0x1.a1a598f94e081p+2,
	0x1.a9fff0f1a174cp+2,  0x1.b2850d30d2007p+2,  0x1.bb35c8add53aep+2,  0x1.c41302c0b8f92p+2,
	0x1.cd1d9f390f542p+2,  0x1.d6568674cd6d9p+2,  0x1.dfbea5779f52ap+2,  0x1.e956ee02b34c1p+2,
	0x1.f32056acff019p+2,  0x1.fd1bdafc00e2fp+2,  0x1.03a53dbe8025cp+3,  0x1.08d69eef6779bp+3,
	0x1.0e229686071dbp+3,  0x1.1389aca2fd7d8p+3,  0x1.190c6c1fe142p+3,   0x1.1eab629d31c78p+3,
	0x1.246720908ef66p+3,  0x1.2a40395339e4ep+3,  0x1.30374330dfbc8p+3,  0x1.364cd776b0581p+3,
	0x1.3c819282c2262p+3,  0x1.42d613d3c4d57p+3,  0x1.494afe1904619p+3,  0x1.4fe0f742be1b5p+3,
	0x1.5698a892c94dbp+3,  0x1.5d72bead95302p+3,  0x1.646fe9ab7dd75p+3,  0x1.6b90dd2a79e2cp+3,
	0x1.72d6506022afbp+3,  0x1.7a40fe2c18dbp+3,   0x1.81d1a52ac6f28p+3,  0x1.898907c88431ep+3,
	0x1.9167ec551938fp+3,  0x1.996f1d17a8b39p+3,  0x1.a19f6862fdeb9p+3,  0x1.a9f9a0aa43577p+3,
	0x1.b27e9c9623346p+3,  0x1.bb2f371a544d6p+3,  0x1.c40c4f8b95152p+3,  0x1.cd16c9b6174e2p+3,
	0x1.d64f8df45e7c1p+3,  0x1.dfb78946936aep+3,  0x1.e94fad6a4f277p+3,  0x1.f318f0f2dfc4cp+3,
	0x1.fd144f6209664p+3,  0x1.03a164a0a3037p+4,  0x1.08d2b21dc342fp+4,  0x1.0e1e959bbbc7bp+4,
	0x1.138597392683bp+4,  0x1.190841cd8b501p+4,  0x1.1ea722f750313p+4,  0x1.2462cb29f0f81p+4,
	0x1.2a3bcdbc7fad7p+4,  0x1.3032c0f86f3ebp+4,  0x1.36483e28a9e34p+4,  0x1.3c7ce1a8f4c43p+4,
	0x1.42d14af5a26d2p+4,  0x1.49461cbb959c5p+4,  0x1.4fdbfce8960d1p+4,  0x1.569394bbf8dd3p+4,
	0x1.5d6d90d79e3f5p+4,  0x1.646aa1514629p+4,   0x1.6b8b79c43dbf8p+4,  0x1.72d0d16367425p+4,
	0x1.7a3b630b9e4b2p+4,  0x1.81cbed567a362p+4,  0x1.898332ad7096p+4,   0x1.9161f95d59a2dp+4,
	0x1.99690baa58918p+4,  0x1.a19937e429dd6p+4,  0x1.a9f3507ad9862p+4,  0x1.b2782c13e359ep+4,
	0x1.bb28a59fbf6acp+4,  0x1.c4059c6fdcd54p+4,  0x1.cd0ff44d0d136p+4,  0x1.d648958e62171p+4,
	0x1.dfb06d3081792p+4,  0x1.e9486ced6f176p+4,  0x1.f3118b54d17d6p+4,  0x1.fd0cc3e4b291fp+4,
	0x1.039d8b915f7e6p+5,  0x1.08cec55b0369fp+5,  0x1.0e1a94c0a10f2p+5,  0x1.138181decdecbp+5,
	0x1.1904178b0314cp+5,  0x1.1ea2e3618d3b4p+5,  0x1.245e75d3c4226p+5,  0x1.2a3762368acdap+5,
	0x1.302e3ed119f67p+5,  0x1.3643a4ec16397p+5,  0x1.3c7830e0f382cp+5,  0x1.42cc8229a744bp+5,
	0x1.49413b70ab091p+5,  0x1.4fd702a150fe8p+5,  0x1.568e80f86c1f9p+5,  0x1.5d6863154da33p+5,
	0x1.6465590b196b5p+5,  0x1.6b861672732abp+5,  0x1.72cb527b860f2p+5,  0x1.7a35c80068b8bp+5,
	0x1.81c63597df5d6p+5,  0x1.897d5da87df27p+5,  0x1.915c067c2c512p+5,  0x1.9962fa540e447p+5,
	0x1.a193077cd1842p+5,  0x1.a9ed006363a5ap+5,  0x1.b271bbaa1213fp+5,  0x1.bb22143e16341p+5,
	0x1.c3fee96d8fd91p+5,  0x1.cd091efdf040ep+5,  0x1.d6419d42d7d9cp+5,  0x1.dfa9513569169p+5,
	0x1.e9412c8c12b2ap+5,  0x1.f30a25d2d3c0fp+5,  0x1.fd053883fbf8ep+5,  0x1.0399b290b55f9p+6,
	0x1.08cad8a727b69p+6,  0x1.0e1693f4b6ba3p+6,  0x1.137d6c93f37d8p+6,  0x1.18ffed584853ep+6,
	0x1.1e9ea3dbe8a9p+6,   0x1.245a208e08377p+6,  0x1.2a32f6c15b05ep+6,  0x1.3029bcbadfa27p+6,
	0x1.363f0bc0f5182p+6,  0x1.3c73802abe1fp+6,   0x1.42c7b96fd317cp+6,  0x1.493c5a3844619p+6,
	0x1.4fd2086ceea7ap+6,  0x1.56896d4822cb4p+6,  0x1.5d633566a311dp+6,  0x1.646010d8f751bp+6,
	0x1.6b80b33519d68p+6,  0x1.72c5d3a87ec6ap+6,  0x1.7a302d0a77d3bp+6,  0x1.81c07deef616bp+6,
	0x1.897788b9abf2dp+6,  0x1.915613b190edbp+6,  0x1.995ce914c974bp+6,  0x1.a18cd72cf4879p+6,
	0x1.a9e6b063e15bcp+6,  0x1.b26b4b58af05fp+6,  0x1.bb1b82f5584a2p+6,  0x1.c3f83684adbf9p+6,
	0x1.cd0249c8c0752p+6,  0x1.d63aa511bf60ap+6,  0x1.dfa2355549dcep+6,  0x1.e939ec463990ap+6,
	0x1.f302c06ce6249p+6,  0x1.fcfdad3fe52f4p+6,  0x1.0395d99ea46f7p+7,  0x1.08c6ec022feffp+7,
	0x1.0e129337fc8efp+7,  0x1.1379575896fbep+7,  0x1.18fbc3355ad2p+7,   0x1.1e9a6466623d2p+7,
	0x1.2455cb58bcf85p+7,  0x1.2a2e8b5cf0165p+7,  0x1.30253ab5c0027p+7,  0x1.363a72a7463dbp+7,
	0x1.3c6ecf8654552p+7,  0x1.42c2f0c825a0fp+7,  0x1.49377912615f3p+7,  0x1.4fcd0e4b6ec17p+7,
	0x1.568459ab1c97fp+7,  0x1.5d5e07cb9e405p+7,  0x1.645ac8badf8fep+7,  0x1.6b7b500c31761p+7,
	0x1.72c054ea511a7p+7,  0x1.7a2a9229cb4b3p+7,  0x1.81bac65bbe0f3p+7,  0x1.8971b3e0fa42bp+7,
	0x1.915020fd8723ep+7,  0x1.9956d7ec89cbap+7,  0x1.a186a6f4928e1p+7,  0x1.a9e0607c524cep+7,
	0x1.b264db1fb9d2ap+7,  0x1.bb14f1c5854f9p+7,  0x1.c3f183b536297p+7,  0x1.ccfb74ad7d4d7p+7,
	0x1.d633acfb18469p+7,  0x1.df9b199023654p+7,  0x1.e932ac1be349fp+7,  0x1.f2fb5b23083ecp+7,
	0x1.fcf622186dc84p+7,  0x1.039200bb2c765p+8,  0x1.08c2ff6c1bde1p+8,  0x1.0e0e928a72544p+8,
	0x1.1375422cb82cbp+8,  0x1.18f799223a52ap+8,  0x1.1e962500f9ba1p+8,  0x1.24517633e2273p+8,
	0x1.2a2a200949bfbp+8,  0x1.3020b8c1bad57p+8,  0x1.3635d99f09677p+8,  0x1.3c6a1ef3b5e1p+8,
	0x1.42be28329e9c3p+8,  0x1.493297ff01bc4p+8,  0x1.4fc8143cd1043p+8,  0x1.567f4621593bfp+8,
	0x1.5d58da443ee3bp+8,  0x1.645580b0d1daap+8,  0x1.6b75ecf7b9bb3p+8,  0x1.72bad640fcba9p+8,
	0x1.7a24f75e62ce3p+8,  0x1.81b50ede36f4fp+8,  0x1.896bdf1e688f3p+8,  0x1.914a2e600e9d5p+8,
	0x1.9950c6db4ef0fp+8,  0x1.a18076d3ab3e6p+8,  0x1.a9da10acb61eap+8,  0x1.b25e6aff321e7p+8,
	0x1.bb0e60ae9ce4fp+8,  0x1.c3ead0ff28b4fp+8,  0x1.ccf49fac26672p+8,  0x1.d62cb4fee227ep+8,
	0x1.df93fde5f54a7p+8,  0x1.e92b6c0d0f756p+8,  0x1.f2f3f5f539a3cp+8,  0x1.fcee970d9556ep+8,
	0x1.038e27e64d3d3p+9,  0x1.08bf12e4eb484p+9,  0x1.0e0a91ec17d02p+9,  0x1.13712d1056d4dp+9,
	0x1.18f36f1ee69a8p+9,  0x1.1e91e5abaee33p+9,  0x1.244d211f7785bp+9,  0x1.2a25b4c667c26p+9,
	0x1.301c36decfd9bp+9,  0x1.363140a83e539p+9,  0x1.3c656e72e2803p+9,  0x1.42b95faf3dc3fp+9,
	0x1.492db6fe25327p+9,  0x1.4fc31a4115273p+9,  0x1.567a32aad86e8p+9,  0x1.5d53acd084b25p+9,
	0x1.645038bacde54p+9,  0x1.6b7089f7b258cp+9,  0x1.72b557ac81591p+9,  0x1.7a1f5ca83e0c6p+9,
	0x1.81af57766075bp+9,  0x1.89660a71f682dp+9,  0x1.91443bd92704ep+9,  0x1.994ab5e1188e7p+9,
	0x1.a17a46ca3e3fep+9,  0x1.a9d3c0f50c766p+9,  0x1.b257faf7178b1p+9,  0x1.bb07cfb09eac6p+9,
	0x1.c3e41e6285031p+9,  0x1.ccedcac4bb606p+9,  0x1.d625bd1d1ca04p+9,  0x1.df8ce256bf247p+9,
	0x1.e9242c19bdaafp+9,  0x1.f2ec90e379ea9p+9,  0x1.fce70c1f5b6efp+9,  0x1.038a4f20068ccp+10,
	0x1.08bb266c9df55p+10, 0x1.0e06915cecc93p+10, 0x1.136d180372ba5p+10, 0x1.18ef452b5f6d2p+10,
	0x1.1e8da666817b4p+10, 0x1.2448cc1b7cd46p+10, 0x1.2a21499449deap+10, 0x1.3017b50cfecf8p+10,
	0x1.362ca7c2e4bfbp+10, 0x1.3c60be03d9eebp+10, 0x1.42b4973e02d2ep+10, 0x1.4928d60fcb7b7p+10,
	0x1.4fbe20583ae45p+10, 0x1.56751f4799e68p+10, 0x1.5d4e7f706f614p+10, 0x1.644af0d8d3633p+10,
	0x1.6b6b270c1b011p+10, 0x1.72afd92cdea63p+10, 0x1.7a19c2075cb4fp+10, 0x1.81a9a0243a3fp+10,
	0x1.896035dba3cb6p+10, 0x1.913e4968d004ap+10, 0x1.9944a4fde64c5p+10, 0x1.a17416d84b387p+10,
	0x1.a9cd715554f8cp+10, 0x1.b2518b0769bd9p+10, 0x1.bb013ecb8a46ep+10, 0x1.c3dd6bdf4ab2ap+10,
	0x1.cce6f5f73bd5ap+10, 0x1.d61ec555c74b1p+10, 0x1.df85c6e2808eep+10, 0x1.e91cec41ed824p+10,
	0x1.f2e52bedc8a7fp+10, 0x1.fcdf814dbfa2ep+10, 0x1.03867668582d7p+11, 0x1.08b73a0333adfp+11,
	0x1.0e0290dcf105dp+11, 0x1.136903060ba1fp+11, 0x1.18eb1b47a48e3p+11, 0x1.1e89673171451p+11,
	0x1.24447727f1d65p+11, 0x1.2a1cde72efd4ep+11, 0x1.3013334c47757p+11, 0x1.36280eeefc691p+11,
	0x1.3c5c0da69be8fp+11, 0x1.42afcedeed857p+11, 0x1.4923f533f450fp+11, 0x1.4fb9268241f33p+11,
	0x1.56700bf79d5adp+11, 0x1.5d495223fea5fp+11, 0x1.6445a90ae209dp+11, 0x1.6b65c434f3668p+11,
	0x1.72aa5ac21452dp+11, 0x1.7a14277bbe773p+11, 0x1.81a3e8e7c3feap+11, 0x1.895a615b7014p+11,
	0x1.9138570f09471p+11, 0x1.993e9431b7d32p+11, 0x1.a16de6fdd1d17p+11, 0x1.a9c721cd8f4b2p+11,
	0x1.b24b1b3028589p+11, 0x1.bafaadff5f561p+11, 0x1.c3d6b97579637p+11, 0x1.cce02143a7676p+11,
	0x1.d617cda8e1c42p+11, 0x1.df7eab8939229p+11, 0x1.e915ac859e92cp+11, 0x1.f2ddc7142571ap+11,
	0x1.fcd7f698c188ep+11, 0x1.03829dbf41e7ep+12, 0x1.08b34da8ac38fp+12, 0x1.0dfe906c244c3p+12,
	0x1.1364ee182151p+12,  0x1.18e6f173b5c34p+12, 0x1.1e85280c7e038p+12, 0x1.24402244d64c7p+12,
	0x1.2a18736259657p+12, 0x1.300eb19ca98acp+12, 0x1.3623762c850ebp+12, 0x1.3c575d5b282b7p+12,
	0x1.42ab0691fd96p+12,  0x1.491f146a9f6ccp+12, 0x1.4fb42cbf2a0c5p+12, 0x1.566af8bae281bp+12,
	0x1.5d4424eb3235cp+12, 0x1.64406150f98c6p+12, 0x1.6b6061723b3bap+12, 0x1.72a4dc6c220ffp+12,
	0x1.7a0e8d056301dp+12, 0x1.819e31c0fd623p+12, 0x1.89548cf15b09p+12,  0x1.913264cbd2768p+12,
	0x1.9938837c8ccbap+12, 0x1.a167b73ad1ae9p+12, 0x1.a9c0d25dbb12ap+12, 0x1.b244ab7152ff6p+12,
	0x1.baf41d4c1d7b7p+12, 0x1.c3d0072510b4ep+12, 0x1.ccd94ca9fdaf7p+12, 0x1.d610d6166ba72p+12,
	0x1.df77904ae8791p+12, 0x1.e90e6ce4d0744p+12, 0x1.f2d662568fdd1p+12, 0x1.fcd06c0060b07p+12,
	0x1.037ec524c384bp+13, 0x1.08af615d075e2p+13, 0x1.0dfa900a8662ep+13, 0x1.1360d939b38ccp+13,
	0x1.18e2c7af92ce6p+13, 0x1.1e80e8f7a7796p+13, 0x1.243bcd7229f8ap+13, 0x1.2a14086286503p+13,
	0x1.300a2ffe24ce7p+13, 0x1.361edd7b7e6ddp+13, 0x1.3c52ad217e72cp+13, 0x1.42a63e5732bffp+13,
	0x1.491a33b3cc88p+13,  0x1.4faf330ef2e7fp+13, 0x1.5665e59169137p+13, 0x1.5d3ef7c609c65p+13,
	0x1.643b19ab199efp+13, 0x1.6b5afec3f2321p+13, 0x1.729f5e2b078e9p+13, 0x1.7a08f2a44a057p+13,
	0x1.81987aafe6177p+13, 0x1.894eb89d64564p+13, 0x1.912c729f2b3cap+13, 0x1.993272de64de7p+13,
	0x1.a161878f4a791p+13, 0x1.a9ba8305d7f47p+13, 0x1.b23e3bcae9554p+13, 0x1.baed8cb1c4579p+13,
	0x1.c3c954ee1046ap+13, 0x1.ccd2782a3e4e7p+13, 0x1.d609de9e648fap+13, 0x1.df7075278e2c4p+13,
	0x1.e9072d5f82bd6p+13, 0x1.f2cefdb5077fep+13, 0x1.fcc8e1849cb01p+13, 0x1.037aec98dccc9p+14,
	0x1.08ab752044e4dp+14, 0x1.0df68fb8170fbp+14, 0x1.135cc46ac21a6p+14, 0x1.18de9dfb3b752p+14,
	0x1.1e7ca9f2ed698p+14, 0x1.243778afec9c4p+14, 0x1.2a0f9d737656bp+14, 0x1.3005ae70b8ff9p+14,
	0x1.361a44dbe8444p+14, 0x1.3c4dfcf99e7acp+14, 0x1.42a1762e8cbe4p+14, 0x1.4915530f7b5dcp+14,
	0x1.4faa39719c3e8p+14, 0x1.5660d27b30c64p+14, 0x1.5d39cab4850c6p+14, 0x1.6435d21941f57p+14,
	0x1.6b559c2a17fddp+14, 0x1.7299dffec47f7p+14, 0x1.7a0358587330dp+14, 0x1.8192c3b47dcb6p+14,
	0x1.8948e45f8ba8p+14,  0x1.9126808913455p+14, 0x1.992c62573fb44p+14, 0x1.a15b57fb3bd74p+14,
	0x1.a9b433c5e594cp+14, 0x1.b237cc3ceafdap+14, 0x1.bae6fc30538dap+14, 0x1.c3c2a2d077b84p+14,
	0x1.cccba3c468e11p+14, 0x1.d602e740cc18ap+14, 0x1.df695a1f29d5cp+14, 0x1.e8ffedf5b5079p+14,
	0x1.f2c7992f8bef7p+14, 0x1.fcc15725751a1p+14, 0x1.0377141b8d879p+15, 0x1.08a788f26494ap+15,
	0x1.0df28f74d61ap+15,  0x1.1358afab4cbf3p+15, 0x1.18da7456af7b2p+15, 0x1.1e786afe4f965p+15,
	0x1.243323fe1df92p+15, 0x1.2a0b32952938bp+15, 0x1.30012cf465dd7p+15, 0x1.3615ac4dc24fdp+15,
	0x1.3c494ce388012p+15, 0x1.429cae180b4c3p+15, 0x1.4910727daba73p+15, 0x1.4fa53fe725c7bp+15,
	0x1.565bbf7839513p+15, 0x1.5d349db6a3becp+15, 0x1.64308a9b7243fp+15, 0x1.6b5039a4ac50ap+15,
	0x1.729461e75892cp+15, 0x1.79fdbe21de333p+15, 0x1.818d0ccec42d3p+15, 0x1.89431037d0aa3p+15,
	0x1.91208e898a3a4p+15, 0x1.992651e71cf51p+15, 0x1.a155287ea5701p+15, 0x1.a9ade49de39a7p+15,
	0x1.b2315cc7579bep+15, 0x1.bae06bc7cabe6p+15, 0x1.c3bbf0cc46a89p+15, 0x1.ccc4cf787d04ep+15,
	0x1.d5fbeffda1df9p+15, 0x1.df623f31bb0f6p+15, 0x1.e8f8aea766e9cp+15, 0x1.f2c034c61cc09p+15,
	0x1.fcb9cce2e981fp+15, 0x1.03733bacd57f6p+16, 0x1.08a39cd36635p+16,  0x1.0dee8f40c347dp+16,
	0x1.13549afb533fcp+16, 0x1.18d64ac1eea46p+16, 0x1.1e742c19cdc3cp+16, 0x1.242ecf5cbdd0ep+16,
	0x1.2a06c7c79eb6bp+16, 0x1.2ffcab892b267p+16, 0x1.361113d10c4e6p+16, 0x1.3c449cdf3ac1ep+16,
	0x1.4297e613ae243p+16, 0x1.490b91fe5d1ep+16,  0x1.4fa0466f8f3d4p+16, 0x1.5656ac88826b2p+16,
	0x1.5d2f70cc65924p+16, 0x1.642b4331aa3dap+16, 0x1.6b4ad733aedcfp+16, 0x1.728ee3e4c37b1p+16,
	0x1.79f824008abbfp+16, 0x1.818755feb8e9fp+16, 0x1.893d3c2633084p+16, 0x1.911a9ca08fc5fp+16,
	0x1.9920418dfc4b2p+16, 0x1.a14ef91986ea6p+16, 0x1.a9a7958dd1a9fp+16, 0x1.b22aed6a2ed26p+16,
	0x1.bad9db78298b2p+16, 0x1.c3b53ee17cb8ep+16, 0x1.ccbdfb467a57ap+16, 0x1.d5f4f8d4e57f2p+16,
	0x1.df5b245f4171ap+16, 0x1.e8f16f7497fb7p+16, 0x1.f2b8d078b98acp+16, 0x1.fcb242bcf97b4p+16,
	0x1.036f634cb47c1p+17, 0x1.089fb0c3498d1p+17, 0x1.0dea8f1bde5f7p+17, 0x1.1350865ad562ap+17,
	0x1.18d2213cf8b4fp+17, 0x1.1e6fed4567b43p+17, 0x1.242a7acbcbe49p+17, 0x1.2a025d0ad6911p+17,
	0x1.2ff82a2f089bp+17,  0x1.360c7b65c5fdbp+17, 0x1.3c3fececb6796p+17, 0x1.42931e217502dp+17,
	0x1.4906b1918f7cp+17,  0x1.4f9b4d0ad856ep+17, 0x1.565199ac0bca7p+17, 0x1.5d2a43f5ca3c7p+17,
	0x1.6425fbdbe997fp+17, 0x1.6b4574d71f554p+17, 0x1.728965f704e87p+17, 0x1.79f289f47879cp+17,
	0x1.81819f445baf4p+17, 0x1.8937682ab26fcp+17, 0x1.9114aace23929p+17, 0x1.991a314bdd5e4p+17,
	0x1.a148c9cbdfec4p+17, 0x1.a9a14695af686p+17, 0x1.b2247e2570466p+17, 0x1.bad34b416f95ap+17,
	0x1.c3ae8d101987ep+17, 0x1.ccb7272e60764p+17, 0x1.d5ee01c696934p+17, 0x1.df5409a7bc986p+17,
	0x1.e8ea305d47d46p+17, 0x1.f2b16c4761e29p+17, 0x1.fcaab8b3a4986p+17, 0x1.036b8afb2a466p+18,
	0x1.089bc4c20e656p+18, 0x1.0de68f0627275p+18, 0x1.134c71c9d2ec5p+18, 0x1.18cdf7c7cd708p+18,
	0x1.1e6bae811d2a6p+18, 0x1.2426264b47f7p+18,  0x1.29fdf25ed0883p+18, 0x1.2ff3a8e5fdf9bp+18,
	0x1.3607e30bef1b3p+18, 0x1.3c3b3d0bfae44p+18, 0x1.428e56415fa27p+18, 0x1.4901d137427a7p+18,
	0x1.4f9653b900ccfp+18, 0x1.564c86e2d5274p+18, 0x1.5d251732d172bp+18, 0x1.6420b49a30064p+18,
	0x1.6b40128efd6b6p+18, 0x1.7283e81e1c8bep+18, 0x1.79eceffda71d6p+18, 0x1.817be89fac2afp+18,
	0x1.893194454e8c1p+18, 0x1.910eb9124549fp+18, 0x1.99142120bfd74p+18, 0x1.a1429a95b01e9p+18,
	0x1.a99af7b57c7afp+18, 0x1.b21e0ef91b9a2p+18, 0x1.baccbb239c7e7p+18, 0x1.c3a7db581cb52p+18,
	0x1.ccb053302f002p+18, 0x1.d5e70ad2b4b79p+18, 0x1.df4cef0b2c1c6p+18, 0x1.e8e2f161760b4p+18,
	0x1.f2aa0832155d9p+18, 0x1.fca32ec6ea6eap+18, 0x1.0367b2b836a6fp+19, 0x1.0897d8cfb484ep+19,
	0x1.0de28eff9d656p+19, 0x1.13485d484ba23p+19, 0x1.18c9ce626c9c1p+19, 0x1.1e676fccede94p+19,
	0x1.2421d1db31c95p+19, 0x1.29f987c38c5cp+19,  0x1.2fef27ae0b018p+19, 0x1.36034ac38765bp+19,
	0x1.3c368d3d07bfp+19,  0x1.42898e736dbe7p+19, 0x1.48fcf0ef75d45p+19, 0x1.4f915a7a0857ep+19,
	0x1.5647742cde38p+19,  0x1.5d1fea837ae9fp+19, 0x1.641b6d6c7d3c8p+19, 0x1.6b3ab05b48d33p+19,
	0x1.727e6a5a0a164p+19, 0x1.79e7561c16557p+19, 0x1.81763210aa0a1p+19, 0x1.892bc07607093p+19,
	0x1.9108c76cf4981p+19, 0x1.990e110ca35edp+19, 0x1.a13c6b76f7272p+19, 0x1.a994a8ed3885fp+19,
	0x1.b2179fe53070fp+19, 0x1.bac62b1eafe92p+19, 0x1.c3a129b985e11p+19, 0x1.cca97f4be591ap+19,
	0x1.d5e013f93f876p+19, 0x1.df45d4898f97ap+19, 0x1.e8dbb28122394p+19, 0x1.f2a2a438d390fp+19,
	0x1.fc9ba4f6ca914p+19, 0x1.0363da83d9659p+20, 0x1.0893ecec3bb2ep+20, 0x1.0dde8f0840e14p+20,
	0x1.134448d63f49bp+20, 0x1.18c5a50cd5fbp+20,  0x1.1e633128d9b38p+20, 0x1.241d7d7b891d7p+20,
	0x1.29f51d3909cdbp+20, 0x1.2feaa6872f717p+20, 0x1.35feb28c8e9afp+20, 0x1.3c31dd7fdcc54p+20,
	0x1.4284c6b79f117p+20, 0x1.48f810ba29433p+20, 0x1.4f8c614deeaf1p+20, 0x1.5642618a26b35p+20,
	0x1.5d1abde7c6597p+20, 0x1.64162652d0ef3p+20, 0x1.6b354e3c013e3p+20, 0x1.7278ecaacd384p+20,
	0x1.79e1bc4fc5d1bp+20, 0x1.81707b9754fb6p+20, 0x1.8925ecbcdb93p+20,  0x1.9102d5de3126fp+20,
	0x1.9908010f879c7p+20, 0x1.a1363c6fb4accp+20, 0x1.a98e5a3ce330ap+20, 0x1.b21130e9ae6f9p+20,
	0x1.babf9b32a974cp+20, 0x1.c39a783454a92p+20, 0x1.cca2ab8183ca4p+20, 0x1.d5d91d3a369e4p+20,
	0x1.df3eba22e6a24p+20, 0x1.e8d473bc4bf6fp+20, 0x1.f29b405b9c124p+20, 0x1.fc941b434491ap+20,
	0x1.0360025e124dp+21,  0x1.08900117a3b8p+21,  0x1.0dda8f20115fep+21, 0x1.13403473ada73p+21,
	0x1.18c17bc709527p+21, 0x1.1e5ef294e04cp+21,  0x1.2419292c4db3ep+21, 0x1.29f0b2bf489e4p+21,
	0x1.2fe625716b08ap+21, 0x1.35fa1a6704777p+21, 0x1.3c2d2dd479b6p+21,  0x1.427fff0df3582p+21,
	0x1.48f330975c7f7p+21, 0x1.4f876834b38dap+21, 0x1.563d4efaae517p+21, 0x1.5d15915fb3747p+21,
	0x1.6410df4d2ad0cp+21, 0x1.6b2fec3126603p+21, 0x1.72736f1065a2cp+21, 0x1.79dc2298b5402p+21,
	0x1.816ac533acad7p+21, 0x1.89201919cbd59p+21, 0x1.90fce465fa9f6p+21, 0x1.9901f1296c3c2p+21,
	0x1.a1300d7fe857fp+21, 0x1.a9880ba47c1dep+21, 0x1.b20ac2069536ap+21, 0x1.bab90b5f88c5ep+21,
	0x1.c393c6c888ae9p+21, 0x1.cc9bd7d109449p+21, 0x1.d5d22695999a9p+21, 0x1.df379fd730d72p+21,
	0x1.e8cd3512f2d8cp+21, 0x1.f293dc9a6e799p+21, 0x1.fc8c91ac5806ap+21, 0x1.035c2a46e123ap+22,
	0x1.088c1551ec5ap+22,  0x1.0dd68f470ea97p+22, 0x1.133c20209680ap+22, 0x1.18bd52910664ap+22,
	0x1.1e5ab4110176fp+22, 0x1.2414d4ed7f4f3p+22, 0x1.29ec4856488c3p+22, 0x1.2fe1a46cbd87bp+22,
	0x1.35f58252e8bb5p+22, 0x1.3c287e3ade4bp+22,  0x1.427b37766a4b5p+22, 0x1.48ee50870f454p+22,
	0x1.4f826f2e56a8ep+22, 0x1.56383c7e74c71p+22, 0x1.5d1064eb41f31p+22, 0x1.640b985b8a966p+22,
	0x1.6b2a8a3ab7e93p+22, 0x1.726df18ad3089p+22, 0x1.79d688f6e4511p+22, 0x1.81650ee5b0cb7p+22,
	0x1.891a458cd77eep+22, 0x1.90f6f30450ae9p+22, 0x1.98fbe15a50e2fp+22, 0x1.a129dea791ccfp+22,
	0x1.a981bd2402f5ap+22, 0x1.b204533be46b1p+22, 0x1.bab27ba54d7a7p+22, 0x1.c38d15762192ap+22,
	0x1.cc95043a75a01p+22, 0x1.d5cb300b68142p+22, 0x1.df3085a66dd22p+22, 0x1.e8c5f685167a2p+22,
	0x1.f28c78f54a589p+22, 0x1.fc850832047fep+22, 0x1.0358523e45b42p+23, 0x1.0888299b15617p+23,
	0x1.0dd28f7d38825p+23, 0x1.13380bdcf99c5p+23, 0x1.18b9296accf6bp+23, 0x1.1e56759d3cf53p+23,
	0x1.241080bf1db22p+23, 0x1.29e7ddfe095a3p+23, 0x1.2fdd237926ab5p+23, 0x1.35f0ea503b21fp+23,
	0x1.3c23ceb30a433p+23, 0x1.42766ff103a78p+23, 0x1.48e97089414bep+23, 0x1.4f7d763ad7bbfp+23,
	0x1.56332a1579cc7p+23, 0x1.5d0b388a7188p+23,  0x1.6406517deff57p+23,
};

double lhist_bound(size_t i)
{
	return i < LHIST_BUCKETS - 1 ? bounds[i] : INFINITY;
}

size_t lhist_index(double x)
{
	if (!(x > LHIST_MIN))
		return 0;
	if (!(x <= bounds[LHIST_BUCKETS - 2]))
		return LHIST_BUCKETS - 1;
	/* A first guess from log2(x) ~ exponent + f + 0.346 f (1 - f) (f the
	 * mantissa's fraction; within 0.2 buckets), then the table decides. */
	uint64_t bits;
	memcpy(&bits, &x, sizeof(bits));
	double f = (double)(bits & 0xfffffffffffffULL) * 0x1p-52;
	double l2 = (double)((int)(bits >> 52) - 1023) + f + 0.346 * f * (1.0 - f);
	double g = (l2 + 3.321928094887362) * 35.00278878; /* (log2(x) - log2(0.1)) / log2(1.02) */
	size_t k = g < 0 ? 0 : g > LHIST_BUCKETS - 3 ? LHIST_BUCKETS - 2 : (size_t)g + 1;
	while (k > 0 && x <= bounds[k - 1])
		k--;
	while (x > bounds[k])
		k++;
	return k;
}

double lhist_value(size_t i)
{
	if (i >= LHIST_BUCKETS)
		i = LHIST_BUCKETS - 1;
	return LHIST_MIN * 2.0 * pow(LHIST_GAMMA, (double)i) / (LHIST_GAMMA + 1.0);
}

void lhist_add(struct lhist *h, double x, double w)
{
	if (!(w > 0) || isnan(x))
		return;
	h->b[lhist_index(x)] += w;
	h->total += w;
}

void lhist_add_at(struct lhist *h, size_t i, double w)
{
	if (!(w > 0))
		return;
	if (i >= LHIST_BUCKETS)
		i = LHIST_BUCKETS - 1;
	h->b[i] += w;
	h->total += w;
}

void lhist_merge(struct lhist *dst, const struct lhist *src)
{
	for (size_t i = 0; i < LHIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->total += src->total;
}

void lhist_scale(struct lhist *h, double f)
{
	for (size_t i = 0; i < LHIST_BUCKETS; i++)
		h->b[i] *= f;
	h->total *= f;
}

double lhist_quantile(const struct lhist *h, double q)
{
	if (!(h->total > 0))
		return NAN;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* The first bucket whose cumulative weight exceeds q * total: with unit
	 * weights, the one holding sample floor(q * n) of the sorted samples. */
	double rank = q * h->total;
	double cum = 0;
	size_t last = 0;
	for (size_t i = 0; i < LHIST_BUCKETS; i++) {
		if (h->b[i] <= 0)
			continue;
		cum += h->b[i];
		last = i;
		if (cum > rank)
			return lhist_value(i);
	}
	return lhist_value(last);
}
