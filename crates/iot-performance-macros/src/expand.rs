//! The expansion of `#[profile_function]`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Item, ItemFn, LitStr, ReturnType, Token, Type};

/// Expands the attribute; on misuse, the original item plus a spanned error.
pub(crate) fn profile_function(attr: TokenStream, item: TokenStream) -> TokenStream {
    let name = match parse_name(attr) {
        Ok(name) => name,
        Err(e) => return with_error(item, e),
    };
    let parsed = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(f)) => f,
        Ok(other) => {
            let (what, span) = describe(&other);
            let msg = format!(
                "#[profile_function] times functions (`fn` or `async fn`), not {what}; \
                 to time a block use `let _timer = iot_performance::profile_block!(\"name\");`"
            );
            return with_error(item, syn::Error::new(span, msg));
        }
        Err(e) => return with_error(item, e),
    };
    if let Some(constness) = parsed.sig.constness {
        let msg = "#[profile_function] cannot time a `const fn`: it may run at compile time, \
                   where there is no clock; remove `const` or the attribute";
        return with_error(item, syn::Error::new(constness.span(), msg));
    }
    let name =
        name.unwrap_or_else(|| LitStr::new(&parsed.sig.ident.to_string(), Span::call_site()));
    if parsed.sig.asyncness.is_some() {
        expand_async(parsed, &name)
    } else {
        expand_sync(parsed, &name)
    }
}

/// `""`, `"name"` or `name = "name"`.
fn parse_name(attr: TokenStream) -> syn::Result<Option<LitStr>> {
    if attr.is_empty() {
        return Ok(None);
    }
    const EXPECTED: &str = "expected a scope name: `#[profile_function(\"name\")]` or \
                            `#[profile_function(name = \"name\")]`";
    let parser = |input: syn::parse::ParseStream<'_>| -> syn::Result<LitStr> {
        if input.peek(LitStr) {
            return input.parse();
        }
        if !input.peek(syn::Ident) {
            return Err(input.error(EXPECTED));
        }
        let key: syn::Ident = input.parse()?;
        if key != "name" {
            return Err(syn::Error::new(key.span(), EXPECTED));
        }
        input.parse::<Token![=]>()?;
        input.parse()
    };
    let lit = syn::parse::Parser::parse2(parser, attr)?;
    if lit.value().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "the scope name must not be empty",
        ));
    }
    Ok(Some(lit))
}

fn describe(item: &Item) -> (&'static str, Span) {
    match item {
        Item::Struct(s) => (
            "a struct",
            s.struct_token
                .span
                .join(s.ident.span())
                .unwrap_or(s.ident.span()),
        ),
        Item::Const(c) => (
            "a const item",
            c.const_token
                .span
                .join(c.ident.span())
                .unwrap_or(c.ident.span()),
        ),
        Item::Static(s) => ("a static item", s.ident.span()),
        Item::Enum(e) => ("an enum", e.ident.span()),
        Item::Impl(i) => ("an impl block (put it on the methods)", i.impl_token.span),
        Item::Trait(t) => ("a trait", t.ident.span()),
        Item::Mod(m) => ("a module", m.ident.span()),
        Item::Verbatim(tokens) => match syn::parse2::<syn::TraitItemFn>(tokens.clone()) {
            Ok(f) if f.default.is_none() => (
                "a method declaration without a body (put it on the implementations, or on a default body)",
                f.sig.ident.span(),
            ),
            _ => ("this item", item.span()),
        },
        other => ("this item", other.span()),
    }
}

fn with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    quote! { #error #item }
}

fn expand_sync(f: ItemFn, name: &LitStr) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = f;
    let span = sig.ident.span();
    let guard = quote_spanned! {span=>
        let __iot_perf_scope_guard = ::iot_performance::profile_block!(#name);
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #guard
            #block
        }
    }
}

fn expand_async(f: ItemFn, name: &LitStr) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = f;
    // The typed tail lets `?` inside the body infer its error conversion; an
    // `impl Trait` return type cannot be written in a `let`, so it stays untyped.
    let body = match &sig.output {
        ReturnType::Type(_, ty) if !contains_impl_trait(ty) => quote! {
            async move {
                let __iot_perf_result: #ty = #block;
                __iot_perf_result
            }
        },
        ReturnType::Type(..) => quote! { async move #block },
        ReturnType::Default => quote! {
            async move {
                let __iot_perf_result: () = #block;
                __iot_perf_result
            }
        },
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            ::iot_performance::timing::profile_future(
                ::iot_performance::call_site!(async #name),
                #body,
            )
            .await
        }
    }
}

fn contains_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Reference(r) => contains_impl_trait(&r.elem),
        Type::Paren(p) => contains_impl_trait(&p.elem),
        Type::Group(g) => contains_impl_trait(&g.elem),
        Type::Tuple(t) => t.elems.iter().any(contains_impl_trait),
        Type::Array(a) => contains_impl_trait(&a.elem),
        Type::Slice(s) => contains_impl_trait(&s.elem),
        Type::Path(p) => p.path.segments.iter().any(|seg| match &seg.arguments {
            syn::PathArguments::AngleBracketed(args) => args.args.iter().any(|a| match a {
                syn::GenericArgument::Type(t) => contains_impl_trait(t),
                _ => false,
            }),
            _ => false,
        }),
        _ => false,
    }
}
